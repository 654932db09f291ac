// The env.* keys of EnvConfig.
#include "tarmac/envs/env_config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/util/number_text.h"

namespace tarmac::envs {
namespace {

using util::OptionType;
using util::OptionValue;

// env.scenario.<name>: [min, max] of one family parameter.
void AddRange(util::OptionTable<ScenarioConfig>& t, const std::string& name,
              Range ScenarioConfig::*field, const std::string& help) {
  const std::string key = "env.scenario." + name;
  t.Custom(
      {key, OptionType::kStringList, {}, {}, {}, {}, help + " [min, max]."},
      [field](const ScenarioConfig& s) {
        return OptionValue(
            std::vector<std::string>{absl::StrCat((s.*field).min), absl::StrCat((s.*field).max)});
      },
      [field, key](ScenarioConfig& s, const OptionValue& v) {
        const auto& texts = std::get<std::vector<std::string>>(v);
        Range range;
        if (texts.size() != 2 || !absl::SimpleAtod(texts[0], &range.min) ||
            !absl::SimpleAtod(texts[1], &range.max)) {
          return absl::InvalidArgumentError(
              absl::StrCat(key, " must be a range of two numbers, [min, max]"));
        }
        s.*field = range;
        return absl::OkStatus();
      });
}

util::OptionTable<ScenarioConfig> ScenarioTable() {
  using S = ScenarioConfig;
  util::OptionTable<S> t;
  t.Number("env.episode_seconds", &S::episode_seconds, 1, 600,
           "Episode length before truncation, s.");
  t.Number("env.speed_limit", &S::speed_limit, 1, 70, "Speed limit of the scenarios, m/s.");
  t.Number("env.dt", &S::dt, 0.01, 1, "Simulation step, s.");
  t.Number("env.lane_width", &S::lane_width, 2, 6, "Lane width, m.");
  t.Bool("env.traffic_enters", &S::traffic_enters, "Vehicles keep entering at the road start.");
  AddRange(t, "ego_speed", &S::ego_speed, "Ego speed at the start, m/s");
  AddRange(t, "traffic_speed", &S::traffic_speed, "Desired speeds of traffic, m/s");
  AddRange(t, "density", &S::density, "Highway traffic, vehicles per km per lane");
  AddRange(t, "dense_density", &S::dense_density, "Dense traffic, vehicles per km per lane");
  AddRange(t, "cut_in_gap", &S::cut_in_gap, "cut_in: gap to the ego when the change starts, m");
  AddRange(t, "cut_in_ttc", &S::cut_in_ttc, "cut_in: gap / closing speed at that moment, s");
  AddRange(t, "lead_gap", &S::lead_gap, "lead_brake: initial gap to the lead, m");
  AddRange(t, "lead_brake_decel", &S::lead_brake_decel, "lead_brake: the lead's braking, m/s^2");
  AddRange(t, "lead_brake_time", &S::lead_brake_time, "lead_brake: when the lead brakes, s");
  AddRange(t, "stalled_distance", &S::stalled_distance, "stalled: distance to the stalled car, m");
  AddRange(t, "curve_radius", &S::curve_radius, "curve: radius, m");
  AddRange(t, "merge_length", &S::merge_length, "merge: acceleration lane length, m");
  t.Custom(
      {"env.scenario.population",
       OptionType::kStringList,
       {},
       {},
       {},
       {},
       "Driver profiles of the traffic and their weights, e.g. [normal=0.7, aggressive=0.3] "
       "(normal, calm, aggressive, distracted); empty: every driver normal."},
      [](const S& s) {
        std::vector<std::string> shares;
        for (const PopulationShare& share : s.population) {
          shares.push_back(absl::StrCat(share.profile.name, "=", util::ShortestText(share.weight)));
        }
        return OptionValue(shares);
      },
      [](S& s, const OptionValue& v) {
        std::vector<PopulationShare> population;
        for (const std::string& text : std::get<std::vector<std::string>>(v)) {
          const std::size_t eq = text.find('=');
          double weight = 0.0;
          if (eq == std::string::npos || !absl::SimpleAtod(text.substr(eq + 1), &weight)) {
            return absl::InvalidArgumentError(
                absl::StrCat("env.scenario.population entry '", text, "' must be profile=weight"));
          }
          absl::StatusOr<DriverProfile> profile = FindProfile(text.substr(0, eq));
          if (!profile.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("env.scenario.population: ", profile.status().message()));
          }
          population.push_back({*std::move(profile), weight});
        }
        if (absl::Status st = ValidatePopulation(population); !st.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("env.scenario.population: ", st.message()));
        }
        s.population = std::move(population);
        return absl::OkStatus();
      });
  return t;
}

util::OptionTable<RewardConfig> RewardTable() {
  util::OptionTable<RewardConfig> t;
  using Composition = RewardConfig::Composition;
  t.Enum("env.reward.composition", &RewardConfig::composition,
         {{"additive", Composition::kAdditive}, {"multiplicative", Composition::kMultiplicative}},
         "additive: weighted sum of terms; multiplicative: nuPlan-like (a collision or leaving "
         "the road zeroes the step, the rest is a weighted average).");
  for (const RewardTermInfo& term : kRewardTerms) {
    t.Number(std::string("env.reward.") + term.name, term.weight, 0, 1000,
             std::string("Weight of the ") + term.name + " reward term.");
  }
  return t;
}

util::OptionTable<EventThresholds> EventTable() {
  using E = EventThresholds;
  util::OptionTable<E> t;
  t.Number("env.events.hard_brake_accel", &E::hard_brake_accel, -20, 0,
           "hard_brake fires below this longitudinal acceleration, m/s^2.");
  t.Number("env.events.near_miss_ttc", &E::near_miss_ttc, 0, 10,
           "near_miss fires below this TTC, s.");
  t.Number("env.events.lane_departure_seconds", &E::lane_departure_seconds, 0, 60,
           "lane_departure fires after straddling a lane line this long, s.");
  t.Number("env.events.cut_in_ttc", &E::cut_in_ttc, 0, 20,
           "cut_in fires when a new leader arrives with a TTC below this, s.");
  t.Number("env.events.cut_in_headway", &E::cut_in_headway, 0, 10,
           "... or with a time headway below this, s.");
  t.Number("env.events.comfort_min_lon_accel", &E::comfort_min_lon_accel, -20, 0,
           "comfort fires below this longitudinal acceleration, m/s^2.");
  t.Number("env.events.comfort_max_lon_accel", &E::comfort_max_lon_accel, 0, 20,
           "... above this one, m/s^2.");
  t.Number("env.events.comfort_max_lat_accel", &E::comfort_max_lat_accel, 0, 20,
           "... above this lateral acceleration, m/s^2.");
  t.Number("env.events.comfort_max_yaw_rate", &E::comfort_max_yaw_rate, 0, 10,
           "... above this yaw rate, rad/s.");
  t.Number("env.events.comfort_max_lon_jerk", &E::comfort_max_lon_jerk, 0, 100,
           "... above this longitudinal jerk, m/s^3.");
  return t;
}

util::OptionTable<EnvConfig> BuildTable() {
  util::OptionTable<EnvConfig> t;
  t.Include(&EnvConfig::scenario, ScenarioTable());
  t.Include(&EnvConfig::reward, RewardTable());
  t.Include(&EnvConfig::events, EventTable());
  t.Int("env.history", &EnvConfig::history, 0, 16,
        "Past observation frames appended to each observation, newest first (0: none); the "
        "transformer actor sees each frame's entities as tokens of their own.");
  return t;
}

}  // namespace

const util::OptionTable<EnvConfig>& EnvConfigTable() {
  static const auto* const table = new util::OptionTable<EnvConfig>(BuildTable());
  return *table;
}

}  // namespace tarmac::envs
