#include "tarmac/envs/driving_env.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "tarmac/envs/metrics.h"
#include "tarmac/envs/policy.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::envs {
namespace {

constexpr double kTtcHorizon = 3.0;  // s: the TTC reward term starts below this
constexpr double kJerkScale = 8.37;  // m/s^3 (nuPlan's bound on jerk magnitude)
constexpr double kLatScale = 4.89;   // m/s^2 (nuPlan's bound on lateral acceleration)
constexpr double kEndMargin = 60.0;  // m before the road end: the route is complete
constexpr double kChanging = 0.2;    // m off its lane centre: a vehicle is changing lanes

ScenarioFamily FamilyFor(const DrivingEnvOptions& options, std::uint64_t seed) {
  return options.family ? *options.family : kAllFamilies[seed % kAllFamilies.size()];
}

}  // namespace

DrivingEnvOptions DrivingEnvOptions::From(const EnvConfig& config, std::string name,
                                          std::optional<ScenarioFamily> family) {
  DrivingEnvOptions options;
  options.name = std::move(name);
  options.family = family;
  options.scenario = config.scenario;
  options.reward = config.reward;
  options.events = config.events;
  options.history = config.history;
  return options;
}

DrivingEnv::DrivingEnv(DrivingEnvOptions options)
    : options_(std::move(options)), model_(options_.ego, 4, options_.scenario.dt) {
  options_.nearest_vehicles = std::clamp(options_.nearest_vehicles, 0, 32);
  spec_.name = options_.name;
  options_.history = std::clamp(options_.history, 0, 16);
  frame_size_ = kEgoFeatures + kPreviewFeatures + kVehicleFeatures * options_.nearest_vehicles +
                kLeaderFeatures;
  spec_.observation_size = frame_size_ * (1 + options_.history);
  spec_.action_size = 2;
  spec_.action_low = {static_cast<float>(options_.ego.min_accel),
                      static_cast<float>(-options_.ego.max_steer)};
  spec_.action_high = {static_cast<float>(options_.ego.max_accel),
                       static_cast<float>(options_.ego.max_steer)};
  spec_.reward_terms = RewardTermNames();
  spec_.dt = options_.scenario.dt;
  spec_.max_steps =
      static_cast<int>(std::lround(options_.scenario.episode_seconds / options_.scenario.dt));
  spec_.tokens = {{"ego", 1, kEgoFeatures},
                  {"preview", kPreviewFeatures / 2, 2},  // (curvature, lateral offset) per point
                  {"vehicle", options_.nearest_vehicles, kVehicleFeatures},
                  {"leaders", 1, kLeaderFeatures}};
  if (options_.nearest_vehicles == 0) spec_.tokens.erase(spec_.tokens.begin() + 2);
  const std::vector<TokenGroup> frame = spec_.tokens;
  for (int h = 1; h <= options_.history; ++h) {
    for (TokenGroup g : frame) {
      g.name = absl::StrCat(g.name, "-", h);
      spec_.tokens.push_back(std::move(g));
    }
  }
}

void DrivingEnv::SetScenario(std::optional<ScenarioFamily> family, const ScenarioConfig& config) {
  const double dt = options_.scenario.dt;
  options_.family = family;
  options_.scenario = config;
  options_.scenario.dt = dt;
  fixed_.reset();
}

void DrivingEnv::SetFixedScenario(std::shared_ptr<const Scenario> scenario) {
  const auto begins = [&](const TrafficVehicle& v) {
    return scenario->tracks[static_cast<std::size_t>(v.track)].points.front().t;
  };
  const auto earlier = [&](const TrafficVehicle& a, const TrafficVehicle& b) {
    return begins(a) < begins(b);
  };
  // Logged agents enter in the order their tracks begin: sorted once here, not every Reset.
  if (scenario != nullptr &&
      !std::is_sorted(scenario->logged.begin(), scenario->logged.end(), earlier)) {
    auto sorted = std::make_shared<Scenario>(*scenario);
    std::stable_sort(sorted->logged.begin(), sorted->logged.end(), earlier);
    scenario = std::move(sorted);
  }
  fixed_ = std::move(scenario);
}

void DrivingEnv::Reset(std::uint64_t seed, absl::Span<float> observation) {
  if (fixed_) {
    scenario_ = *fixed_;
  } else {
    scenario_ = GenerateScenario(FamilyFor(options_, seed), options_.scenario, seed);
  }
  if (!traffic_) traffic_.emplace(&scenario_.road);
  traffic_->Reset(&scenario_.road, &scenario_.tracks);
  // Everything an episode can hold, so stepping never reallocates.
  traffic_->Reserve(scenario_.traffic.size() + scenario_.logged.size() + 256);
  for (const TrafficVehicle& v : scenario_.traffic) traffic_->Add(v);
  logged_entered_ = 0;
  EnterLogged();
  entry_rng_ = scenario_.seed ^ 0xD1B54A32D192ED03ULL;
  ego_ = scenario_.ego;
  ego_frenet_ = scenario_.road.ToFrenet(ego_.x, ego_.y);
  ego_leader_ = traffic_->LeaderOf(scenario_.road.NearestLane(ego_frenet_.d), ego_frenet_.s,
                                   options_.ego.length, -1);
  step_ = 0;
  done_ = false;
  script_started_.assign(scenario_.scripts.size(), false);
  episode_ = Episode{};
  episode_.start_s = ego_frenet_.s;
  episode_.term_returns.assign(spec_.reward_terms.size(), 0.0);
  past_.clear();
  Observe(observation);
}

double DrivingEnv::Uniform() {
  const std::uint64_t z = util::SplitMix64(entry_rng_);
  entry_rng_ += 0x9E3779B97F4A7C15ULL;  // the splitmix64 generator's step
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

void DrivingEnv::EnterTraffic() {
  if (scenario_.entry_rate <= 0.0) return;
  const double probability = scenario_.entry_rate * scenario_.dt;
  for (int lane : scenario_.entry_lanes) {
    if (Uniform() >= probability) continue;
    const double desired = scenario_.entry_speed.min +
                           (scenario_.entry_speed.max - scenario_.entry_speed.min) * Uniform();
    double speed = desired;
    // Enter only with room behind the rearmost vehicle (or the ego) of the lane.
    if (auto rear = traffic_->Rearmost(lane)) {
      if (rear->second < 40.0) continue;
      if (rear->first >= 0) speed = std::min(speed, traffic_->vehicles()[rear->first].speed);
    }
    if (scenario_.road.NearestLane(ego_frenet_.d) == lane && ego_frenet_.s < 40.0) {
      continue;
    }
    TrafficVehicle v;
    v.s = 0.0;
    v.lane = lane;
    v.d = scenario_.road.LaneCenter(lane);
    v.speed = speed;
    v.idm.desired_speed = desired;
    if (traffic_->vehicles().size() < traffic_->vehicles().capacity()) traffic_->Add(v);
  }
}

void DrivingEnv::EnterLogged() {
  const double now = traffic_->time();
  for (; logged_entered_ < scenario_.logged.size(); ++logged_entered_) {
    TrafficVehicle v = scenario_.logged[logged_entered_];
    const LoggedTrack& track = scenario_.tracks[static_cast<std::size_t>(v.track)];
    if (track.points.front().t > now + 1e-9) break;
    const TrackPoint at = track.At(now);
    v.s = at.s;
    v.d = at.d;
    v.speed = at.speed;
    v.lane = std::max(scenario_.road.NearestLane(at.d), 0);
    traffic_->Add(v);
  }
}

void DrivingEnv::RunScripts() {
  // Read-only until a script acts: a change from outside makes traffic re-index its lanes.
  for (std::size_t i = 0; i < scenario_.scripts.size(); ++i) {
    const Script& script = scenario_.scripts[i];
    const TrafficVehicle& v = traffic_->vehicles()[script.vehicle];
    if (!v.active) continue;
    if (script.kind == Script::Kind::kBrake) {
      if (time() >= script.start_time) {
        script_started_[i] = true;
        // Brake to a stop, then hold (written only when it changes: a write re-indexes traffic).
        const double accel = v.speed > 0.0 ? -script.decel : 0.0;
        if (v.forced_accel != accel)
          traffic_->mutable_vehicles()[script.vehicle].forced_accel = accel;
      }
    } else if (!script_started_[i]) {
      const double gap = v.s - ego_frenet_.s - 0.5 * (v.length + options_.ego.length);
      if (gap > 0.0 && gap <= script.trigger_gap) {
        script_started_[i] = true;
        traffic_->mutable_vehicles()[script.vehicle].lane = script.target_lane;
      }
    }
  }
}

StepResult DrivingEnv::Step(absl::Span<const float> action, absl::Span<float> observation,
                            absl::Span<float> reward_terms) {
  StepResult result;
  const Road& road = scenario_.road;
  const double dt = scenario_.dt;
  const VehicleState before = ego_;
  const Frenet before_frenet = ego_frenet_;

  VehicleCommand command;
  command.accel = action.size() > 0 ? action[0] : 0.0;
  command.steer = action.size() > 1 ? action[1] : 0.0;
  ego_ = model_.Step(ego_, command, dt);
  ego_frenet_ = road.ToFrenet(ego_.x, ego_.y);
  ++step_;
  RunScripts();
  EnterTraffic();
  EnterLogged();
  const EgoView ego_view{ego_frenet_.s, ego_frenet_.d, ego_.speed, options_.ego.length,
                         options_.ego.width};
  traffic_->Step(dt, ego_view);

  // Where the ego is and who leads it.
  const int lane = road.LaneAt(ego_frenet_.s, ego_frenet_.d);
  const int nearest_lane = road.NearestLane(ego_frenet_.d);
  std::optional<double> ttc;
  double leader_gap = std::numeric_limits<double>::infinity();
  int leader_id = 0;
  bool leader_changing = false;
  ego_leader_ = traffic_->LeaderOf(nearest_lane, ego_frenet_.s, options_.ego.length, -1);
  if (const auto& leader = ego_leader_) {
    leader_gap = leader->first.gap;
    ttc = TimeToCollision(leader->first.gap, ego_.speed - leader->first.speed);
    if (leader->second >= 0) {
      const TrafficVehicle& v = traffic_->vehicles()[leader->second];
      leader_id = v.id;
      leader_changing = std::abs(v.d - road.LaneCenter(v.lane)) > kChanging;
    }
  }

  // Events.
  const EventThresholds& thresholds = options_.events;
  const OrientedBox box{{ego_.x, ego_.y, ego_.heading}, options_.ego.length, options_.ego.width};
  traffic_->Overlapping(box, ego_frenet_, &hits_);
  const std::vector<int>& hits = hits_;
  const bool collision = !hits.empty();
  const bool off_road = !road.BoxDrivable(box.centre, ego_frenet_, box.length, box.width);
  EgoMotion motion;
  motion.lon_accel = ego_.accel;
  motion.lon_jerk = (ego_.accel - before.accel) / dt;
  motion.lat_accel = ego_.lateral_accel;
  motion.yaw_rate = ego_.yaw_rate;
  const double lane_offset = ego_frenet_.d - road.LaneCenter(nearest_lane);
  const bool straddling =
      std::abs(lane_offset) + 0.5 * options_.ego.width > 0.5 * road.lane_width();
  episode_.straddle_seconds = straddling ? episode_.straddle_seconds + dt : 0.0;
  const bool new_leader = leader_id != 0 && leader_id != episode_.leader_id && leader_changing;
  episode_.leader_id = leader_id;

  schemas::EventMask events = 0;
  // Every step an event holds is tagged; the summary records where each one began.
  auto mark = [&](schemas::Event event, bool happened) {
    if (!happened) return;
    events |= schemas::EventBit(event);
    if ((episode_.previous_events & schemas::EventBit(event)) != 0) return;
    episode_.events.push_back({event, static_cast<std::uint32_t>(step_),
                               static_cast<float>(ego_frenet_.s), static_cast<float>(ego_.x),
                               static_cast<float>(ego_.y)});
  };
  mark(schemas::Event::kCollision, collision);
  mark(schemas::Event::kOffRoad, off_road);
  mark(schemas::Event::kHardBrake, HardBrake(thresholds, ego_.accel));
  const bool near_miss = NearMiss(thresholds, ttc);
  const bool uncomfortable = ComfortViolated(thresholds, motion);
  mark(schemas::Event::kNearMiss, near_miss);
  mark(schemas::Event::kComfort, uncomfortable);
  mark(schemas::Event::kLaneDeparture,
       LaneDeparture(thresholds, episode_.straddle_seconds) &&
           episode_.straddle_seconds < thresholds.lane_departure_seconds + dt / 2);
  mark(schemas::Event::kCutIn, CutIn(thresholds, new_leader, ttc, leader_gap, ego_.speed));
  result.events = events;
  episode_.previous_events = events;

  // Reward terms.
  const RewardConfig& rc = options_.reward;
  const double limit = scenario_.speed_limit;
  double raw[kRewardTermCount] = {};
  raw[Index(RewardTerm::kProgress)] = (ego_frenet_.s - before_frenet.s) / (limit * dt);
  raw[Index(RewardTerm::kSpeed)] = -std::abs(ego_.speed - limit) / limit;
  raw[Index(RewardTerm::kCollision)] = collision && !episode_.collided ? -1.0 : 0.0;
  raw[Index(RewardTerm::kOffRoad)] = off_road ? -1.0 : 0.0;
  raw[Index(RewardTerm::kCentring)] =
      -std::min(1.0, std::pow(lane_offset / (0.5 * road.lane_width()), 2));
  raw[Index(RewardTerm::kJerk)] = -std::min(1.0, std::abs(motion.lon_jerk) / kJerkScale);
  raw[Index(RewardTerm::kLateralAccel)] = -std::min(1.0, std::abs(motion.lat_accel) / kLatScale);
  raw[Index(RewardTerm::kTtc)] = ttc && *ttc < kTtcHorizon ? -(1.0 - *ttc / kTtcHorizon) : 0.0;
  raw[Index(RewardTerm::kComfort)] = uncomfortable ? -1.0 : 0.0;
  double weights[kRewardTermCount];
  for (std::size_t k = 0; k < kRewardTermCount; ++k) weights[k] = rc.*kRewardTerms[k].weight;
  double reward = 0.0;
  if (rc.composition == RewardConfig::Composition::kAdditive) {
    for (std::size_t k = 0; k < kRewardTermCount; ++k) reward += weights[k] * raw[k];
  } else {
    // nuPlan-like: collision and leaving the road zero the step; the other terms are a
    // weighted average of scores in [0, 1].
    const bool zeroed = raw[Index(RewardTerm::kCollision)] < 0 ||
                        raw[Index(RewardTerm::kOffRoad)] < 0 || episode_.collided;
    double weighted = 0.0, total_weight = 0.0;
    for (std::size_t k = 0; k < kRewardTermCount; ++k) {
      if (!kRewardTerms[k].averaged) continue;
      const double score = kRewardTerms[k].term == RewardTerm::kProgress
                               ? std::clamp(raw[k], 0.0, 1.0)
                               : 1.0 + raw[k];
      weighted += weights[k] * score;
      total_weight += weights[k];
    }
    reward = (zeroed ? 0.0 : 1.0) * (total_weight > 0 ? weighted / total_weight : 0.0);
  }
  for (std::size_t k = 0; k < kRewardTermCount && k < reward_terms.size(); ++k) {
    reward_terms[k] = static_cast<float>(weights[k] * raw[k]);
    episode_.term_returns[k] += weights[k] * raw[k];
  }
  result.reward = static_cast<float>(reward);
  episode_.episode_return += reward;

  // Episode metrics.
  if (collision && !episode_.collided) {
    episode_.collided = true;
    for (int id : hits) {
      for (const TrafficVehicle& v : traffic_->vehicles()) {
        // At fault when the other vehicle was ahead: the ego ran into it.
        if (v.id == id && v.s > ego_frenet_.s) episode_.at_fault = true;
      }
    }
  }
  episode_.off_road = episode_.off_road || off_road;
  episode_.near_miss = episode_.near_miss || near_miss;
  if (uncomfortable) ++episode_.comfort_steps;
  if (ego_.speed > 1.05 * limit) ++episode_.overspeed_steps;
  episode_.max_abs_jerk = std::max(episode_.max_abs_jerk, std::abs(motion.lon_jerk));
  episode_.max_abs_lat_accel = std::max(episode_.max_abs_lat_accel, std::abs(motion.lat_accel));
  if (ttc) episode_.min_ttc = std::min(episode_.min_ttc, *ttc);

  if (collision) {
    result.terminated = true;
    episode_.outcome = schemas::Outcome::kCollision;
  } else if (off_road || lane < 0) {
    result.terminated = off_road;
    if (off_road) episode_.outcome = schemas::Outcome::kOffRoad;
  }
  if (!result.terminated) {
    if (ego_frenet_.s > road.length() - kEndMargin) {
      result.truncated = true;
      episode_.outcome = schemas::Outcome::kCompleted;
    } else if (step_ >= scenario_.max_steps) {
      result.truncated = true;
      episode_.outcome = schemas::Outcome::kTimeLimit;
    }
  }
  done_ = result.terminated || result.truncated;
  Observe(observation);
  return result;
}

schemas::EpisodeSummary DrivingEnv::Summary() const {
  schemas::EpisodeSummary out;
  out.scenario = ScenarioLabel(scenario_);
  out.seed = scenario_.seed;
  out.env_name = spec_.name;
  out.steps = static_cast<std::uint32_t>(step_);
  out.episode_return = episode_.episode_return;
  for (std::size_t k = 0; k < spec_.reward_terms.size(); ++k) {
    out.term_returns.push_back({spec_.reward_terms[k], episode_.term_returns[k]});
  }
  out.events = episode_.events;
  out.outcome = episode_.outcome;
  const double distance = std::max(0.0, ego_frenet_.s - episode_.start_s);
  out.distance_m = distance;
  const double elapsed = std::max(time(), scenario_.dt);
  // Progress against driving the whole time at the speed limit (eval replaces the reference
  // by the expert's progress on the same seed).
  const double progress_ratio = distance / (scenario_.speed_limit * elapsed);
  ScoreInputs score_inputs;
  score_inputs.at_fault_collision = episode_.at_fault;
  score_inputs.off_road = episode_.off_road;
  score_inputs.progress_ratio = progress_ratio;
  score_inputs.ttc_violated = episode_.near_miss;
  score_inputs.speed_compliance =
      1.0 - static_cast<double>(episode_.overspeed_steps) / std::max(step_, 1);
  score_inputs.comfort_violated = episode_.comfort_steps > 0;
  const double score = ClosedLoopScore(score_inputs);
  const double km = std::max(distance / 1000.0, 1e-3);
  out.metrics = {
      {"score", score},
      {"progress_ratio", progress_ratio},
      {"collision", episode_.collided ? 1.0 : 0.0},
      {"at_fault_collision", episode_.at_fault ? 1.0 : 0.0},
      {"off_road", episode_.off_road ? 1.0 : 0.0},
      {"events_per_km", static_cast<double>(episode_.events.size()) / km},
      {"max_abs_jerk", episode_.max_abs_jerk},
      {"max_abs_lateral_accel", episode_.max_abs_lat_accel},
      {"min_ttc", episode_.min_ttc},
      {"comfort_violation_steps", static_cast<double>(episode_.comfort_steps)},
      {"speed_compliance", score_inputs.speed_compliance},
      {"near_miss", episode_.near_miss ? 1.0 : 0.0},
  };
  return out;
}

std::unique_ptr<Policy> DrivingEnv::MakeExpert() const { return std::make_unique<ExpertPolicy>(); }

}  // namespace tarmac::envs
