#include "tarmac/envs/episode_recorder.h"

#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/util/number_text.h"

namespace tarmac::envs {
namespace {

const schemas::EventMask kCollisionEventBit = schemas::EventBit(schemas::Event::kCollision);

// Actors record every step of every episode: a step's reward terms must not allocate.
static_assert(kRewardTermCount <= schemas::kInlineRewardTerms,
              "the driving envs' reward terms outgrew LoggedStep's inline storage: raise "
              "schemas::kInlineRewardTerms");

using util::OptionType;
using util::OptionValue;
using util::ShortestText;

std::vector<std::string> ValueTexts(const OptionValue& value) {
  if (const auto* b = std::get_if<bool>(&value)) return {*b ? "true" : "false"};
  if (const auto* i = std::get_if<std::int64_t>(&value)) return {absl::StrCat(*i)};
  if (const auto* d = std::get_if<double>(&value)) return {ShortestText(*d)};
  if (const auto* s = std::get_if<std::string>(&value)) return {*s};
  return std::get<std::vector<std::string>>(value);
}

absl::StatusOr<OptionValue> ParseTexts(const util::OptionInfo& info,
                                       const std::vector<std::string>& texts) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "the log's ", info.name, " value '", texts.empty() ? "" : texts[0], "' does not parse"));
  };
  if (info.type == OptionType::kStringList) return OptionValue(texts);
  if (texts.size() != 1) return bad();
  const std::string& text = texts[0];
  switch (info.type) {
    case OptionType::kBool:
      if (text != "true" && text != "false") return bad();
      return OptionValue(text == "true");
    case OptionType::kInt: {
      std::int64_t i = 0;
      if (!absl::SimpleAtoi(text, &i)) return bad();
      return OptionValue(i);
    }
    case OptionType::kDouble: {
      double d = 0.0;
      if (!absl::SimpleAtod(text, &d)) return bad();
      return OptionValue(d);
    }
    default:
      return OptionValue(text);
  }
}

// The exact value of a range in texts (the table's getter rounds to six digits for display).
void PinRanges(const EnvConfig& config, std::vector<schemas::ConfigEntry>* entries) {
  struct RangeField {
    const char* key;
    Range ScenarioConfig::*field;
  };
  static const RangeField kRanges[] = {
      {"env.scenario.ego_speed", &ScenarioConfig::ego_speed},
      {"env.scenario.traffic_speed", &ScenarioConfig::traffic_speed},
      {"env.scenario.density", &ScenarioConfig::density},
      {"env.scenario.dense_density", &ScenarioConfig::dense_density},
      {"env.scenario.cut_in_gap", &ScenarioConfig::cut_in_gap},
      {"env.scenario.cut_in_ttc", &ScenarioConfig::cut_in_ttc},
      {"env.scenario.lead_gap", &ScenarioConfig::lead_gap},
      {"env.scenario.lead_brake_decel", &ScenarioConfig::lead_brake_decel},
      {"env.scenario.lead_brake_time", &ScenarioConfig::lead_brake_time},
      {"env.scenario.stalled_distance", &ScenarioConfig::stalled_distance},
      {"env.scenario.curve_radius", &ScenarioConfig::curve_radius},
      {"env.scenario.merge_length", &ScenarioConfig::merge_length},
  };
  for (schemas::ConfigEntry& entry : *entries) {
    for (const RangeField& r : kRanges) {
      if (entry.key != r.key) continue;
      const Range& range = config.scenario.*r.field;
      entry.values = {ShortestText(range.min), ShortestText(range.max)};
    }
  }
}

}  // namespace

std::vector<schemas::ConfigEntry> EnvConfigEntries(const EnvConfig& config) {
  std::vector<schemas::ConfigEntry> entries;
  for (const auto& entry : EnvConfigTable().entries()) {
    entries.push_back({entry.info.name, ValueTexts(entry.get(config))});
  }
  PinRanges(config, &entries);
  return entries;
}

absl::StatusOr<EnvConfig> EnvConfigFromEntries(const std::vector<schemas::ConfigEntry>& entries) {
  const auto& table = EnvConfigTable();
  EnvConfig config;
  for (const schemas::ConfigEntry& entry : entries) {
    const auto* found = [&]() -> const util::OptionTable<EnvConfig>::Entry* {
      for (const auto& e : table.entries()) {
        if (e.info.name == entry.key) return &e;
      }
      return nullptr;
    }();
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("the log's env config has key ", entry.key,
                                                     ", which this build does not know"));
    }
    absl::StatusOr<OptionValue> value = ParseTexts(found->info, entry.values);
    if (!value.ok()) return value.status();
    if (absl::Status s = found->set(config, *value); !s.ok()) return s;
  }
  if (absl::Status s = table.Check(config); !s.ok()) return s;
  return config;
}

void EpisodeRecorder::Begin(const DrivingEnv& env, const EnvConfig& config, std::string policy,
                            std::uint64_t policy_version, bool vehicles) {
  log_ = schemas::EpisodeLog{};
  vehicles_ = vehicles;
  log_.env_name = env.spec().name;
  log_.scenario = std::string(FamilyName(env.scenario().family));
  log_.seed = env.scenario().seed;
  log_.env_config = EnvConfigEntries(config);
  log_.parameters = env.scenario().parameters;
  log_.policy = std::move(policy);
  log_.policy_version = policy_version;
  log_.dt = env.scenario().dt;
  log_.speed_limit = env.scenario().speed_limit;
  log_.reward_terms = env.spec().reward_terms;
  log_.steps.reserve(static_cast<std::size_t>(env.spec().max_steps) + 1);
  log_.steps.push_back(Snapshot(env, vehicles_));
}

void EpisodeRecorder::Record(const DrivingEnv& env, absl::Span<const float> action,
                             const StepResult& result, absl::Span<const float> reward_terms) {
  schemas::LoggedStep step = Snapshot(env, vehicles_ || (result.events & kCollisionEventBit) != 0);
  step.action.assign(action.begin(), action.end());
  step.reward = result.reward;
  step.reward_terms.assign(reward_terms.begin(), reward_terms.end());
  step.events = result.events;
  log_.steps.push_back(std::move(step));
}

schemas::EpisodeLog EpisodeRecorder::Finish(schemas::EpisodeSummary summary) {
  log_.summary = std::move(summary);
  return std::move(log_);
}

schemas::LoggedStep EpisodeRecorder::Snapshot(const DrivingEnv& env, bool vehicles) {
  schemas::LoggedStep step;
  const VehicleState& ego = env.ego();
  const Frenet at = env.ego_frenet();
  const Road& road = env.scenario().road;
  const int lane = road.NearestLane(at.d);
  step.ego = {ego.x,        ego.y, ego.heading, ego.speed, ego.accel, ego.steer, ego.lateral_accel,
              ego.yaw_rate, at.s,  at.d,        lane};
  step.road_curvature = static_cast<float>(road.CurvatureAt(at.s, at.d));
  const Traffic& traffic = env.traffic();
  // The leader the env found for this step (its nearest lane is `lane`).
  if (const auto& leader = env.ego_leader()) {
    if (leader->second >= 0) {
      step.leader_id = traffic.vehicles()[leader->second].id;
      step.leader_gap = static_cast<float>(leader->first.gap);
      step.leader_speed = static_cast<float>(leader->first.speed);
    }
  }
  if (!vehicles) return step;
  for (const TrafficVehicle& v : traffic.vehicles()) {
    if (!v.active || std::abs(v.s - at.s) > kVehicleRange) continue;
    const OrientedBox box = traffic.Box(v);
    step.vehicles.push_back({v.id, static_cast<float>(box.centre.x),
                             static_cast<float>(box.centre.y),
                             static_cast<float>(box.centre.heading), static_cast<float>(v.speed),
                             static_cast<float>(v.s), static_cast<float>(v.d), v.lane,
                             static_cast<float>(v.length), static_cast<float>(v.width)});
  }
  return step;
}

namespace {

absl::Status Differs(std::size_t step, absl::string_view what, double logged, double replayed) {
  return absl::FailedPreconditionError(absl::StrCat("step ", step, ": ", what, " is ", replayed,
                                                    " on replay but ", logged, " in the log"));
}

absl::Status CompareStep(std::size_t i, const schemas::LoggedStep& logged,
                         const schemas::LoggedStep& replayed) {
  const schemas::LoggedEgo& a = logged.ego;
  const schemas::LoggedEgo& b = replayed.ego;
  const std::pair<const char*, std::pair<double, double>> fields[] = {
      {"ego x", {a.x, b.x}},
      {"ego y", {a.y, b.y}},
      {"ego heading", {a.heading, b.heading}},
      {"ego speed", {a.speed, b.speed}},
      {"ego accel", {a.accel, b.accel}},
      {"ego steer", {a.steer, b.steer}},
  };
  for (const auto& [name, values] : fields) {
    if (std::memcmp(&values.first, &values.second, sizeof(double)) != 0) {
      return Differs(i, name, values.first, values.second);
    }
  }
  if (logged.events != replayed.events) {
    return Differs(i, "the event mask", static_cast<double>(logged.events),
                   static_cast<double>(replayed.events));
  }
  if (logged.reward_terms.size() != replayed.reward_terms.size()) {
    return Differs(i, "the number of reward terms", logged.reward_terms.size(),
                   replayed.reward_terms.size());
  }
  for (std::size_t k = 0; k < logged.reward_terms.size(); ++k) {
    if (std::memcmp(&logged.reward_terms[k], &replayed.reward_terms[k], sizeof(float)) != 0) {
      return Differs(i, absl::StrCat("reward term ", k), logged.reward_terms[k],
                     replayed.reward_terms[k]);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReplayEpisodeLog(const schemas::EpisodeLog& log) {
  absl::StatusOr<ScenarioFamily> family = ParseFamily(log.scenario);
  if (!family.ok()) return absl::InvalidArgumentError(family.status().message());
  absl::StatusOr<EnvConfig> config = EnvConfigFromEntries(log.env_config);
  if (!config.ok()) return config.status();
  if (log.steps.empty()) return absl::InvalidArgumentError("the log holds no steps");
  DrivingEnv env(DrivingEnvOptions::From(*config, log.env_name, *family));
  std::vector<float> obs(static_cast<std::size_t>(env.spec().observation_size));
  std::vector<float> terms(env.spec().reward_terms.size());
  env.Reset(log.seed, absl::MakeSpan(obs));
  if (absl::Status s = CompareStep(0, log.steps[0], EpisodeRecorder::Snapshot(env)); !s.ok())
    return s;
  for (std::size_t i = 1; i < log.steps.size(); ++i) {
    const schemas::LoggedStep& logged = log.steps[i];
    if (logged.action.size() != static_cast<std::size_t>(env.spec().action_size)) {
      return absl::InvalidArgumentError(
          absl::StrCat("step ", i, " of the log holds ", logged.action.size(),
                       " action floats; the env takes ", env.spec().action_size));
    }
    const StepResult r = env.Step(logged.action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    schemas::LoggedStep replayed = EpisodeRecorder::Snapshot(env);
    replayed.events = r.events;
    replayed.reward_terms.assign(terms.begin(), terms.end());
    if (absl::Status s = CompareStep(i, logged, replayed); !s.ok()) return s;
    if ((r.terminated || r.truncated) && i + 1 != log.steps.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("step ", i, ": the episode ends on replay but the log goes on to step ",
                       log.steps.size() - 1));
    }
  }
  return absl::OkStatus();
}

std::vector<TrackPoint> EgoTrackOf(const schemas::EpisodeLog& log) {
  std::vector<TrackPoint> track;
  track.reserve(log.steps.size());
  for (std::size_t k = 0; k < log.steps.size(); ++k) {
    const schemas::LoggedEgo& e = log.steps[k].ego;
    track.push_back({log.dt * static_cast<double>(k), e.s, e.d, e.speed});
  }
  return track;
}

}  // namespace tarmac::envs
