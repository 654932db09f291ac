#include "tarmac/envs/evaluation.h"

#include <algorithm>

#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/metrics.h"

namespace tarmac::envs {
namespace {

void SetMetric(schemas::EpisodeSummary* s, const std::string& name, double value) {
  for (auto& m : s->metrics) {
    if (m.name == name) {
      m.value = value;
      return;
    }
  }
  s->metrics.push_back({name, value});
}

// Drives `env`, just configured, from Reset(seed) to the episode's end.
EpisodeResult Drive(Policy& policy, DrivingEnv& env, std::uint64_t seed, const EnvConfig& logged,
                    EpisodeRecording* recording) {
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(seed, absl::MakeSpan(obs));
  policy.Reset(env);
  EpisodeRecorder recorder;
  if (recording != nullptr) {
    recorder.Begin(env, logged, recording->policy, recording->policy_version);
  }
  EpisodeResult result;
  result.trajectory.reserve(static_cast<std::size_t>(env.spec().max_steps) + 1);
  result.trajectory.push_back(env.ego());
  std::vector<float> action(static_cast<std::size_t>(env.spec().action_size));
  StepResult r;
  while (!r.terminated && !r.truncated) {
    policy.Act(env, obs, absl::MakeSpan(action));
    r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    result.trajectory.push_back(env.ego());
    if (recording != nullptr) recorder.Record(env, action, r, terms);
  }
  result.summary = env.Summary();
  std::vector<Pose> poses;
  poses.reserve(result.trajectory.size());
  for (const VehicleState& s : result.trajectory) poses.push_back({s.x, s.y, s.heading});
  result.feasibility = CheckFeasibility(poses, env.spec().dt, env.ego_params());
  SetMetric(&result.summary, "feasible", result.feasibility.feasible ? 1.0 : 0.0);
  if (recording != nullptr) recording->log = recorder.Finish(result.summary);
  return result;
}

}  // namespace

EpisodeResult RunEpisode(Policy& policy, ScenarioFamily family, const ScenarioConfig& config,
                         std::uint64_t seed, const EnvConfig& env_config,
                         EpisodeRecording* recording) {
  DrivingEnvOptions options = DrivingEnvOptions::From(env_config, "eval", family);
  options.scenario = config;
  DrivingEnv env(options);
  EnvConfig logged = env_config;
  logged.scenario = config;
  return Drive(policy, env, seed, logged, recording);
}

EpisodeResult RunEpisode(Policy& policy, std::shared_ptr<const Scenario> scenario,
                         const EnvConfig& env_config, EpisodeRecording* recording) {
  DrivingEnvOptions options = DrivingEnvOptions::From(env_config, "eval", scenario->family);
  options.scenario.dt = scenario->dt;
  options.scenario.episode_seconds = scenario->max_steps * scenario->dt;
  DrivingEnv env(options);
  const std::uint64_t seed = scenario->seed;
  env.SetFixedScenario(std::move(scenario));
  return Drive(policy, env, seed, env_config, recording);
}

EpisodeResult RunEntryEpisode(Policy& policy, const SuiteEntry& entry, std::uint64_t seed,
                              const EnvConfig& env, EpisodeRecording* recording) {
  if (entry.scenario) return RunEpisode(policy, entry.scenario, env, recording);
  return RunEpisode(policy, entry.family, entry.config, seed, env, recording);
}

std::string EntryLabel(const SuiteEntry& entry) {
  if (!entry.env.empty()) return entry.env;
  if (entry.scenario) return ScenarioLabel(*entry.scenario);
  return std::string(FamilyName(entry.family));
}

EpisodeResult RunEnvEpisode(Policy& policy, Env& env, std::uint64_t seed) {
  const EnvSpec& spec = env.spec();
  std::vector<float> obs(static_cast<std::size_t>(spec.observation_size)),
      terms(spec.reward_terms.size()), action(static_cast<std::size_t>(spec.action_size));
  env.Reset(seed, absl::MakeSpan(obs));
  policy.Reset(env);
  StepResult r;
  while (!r.terminated && !r.truncated) {
    policy.Act(env, obs, absl::MakeSpan(action));
    r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
  }
  EpisodeResult result;
  result.summary = env.Summary();
  return result;
}

void RescoreAgainstReference(double reference_distance_m, EpisodeResult* result) {
  schemas::EpisodeSummary& s = result->summary;
  const double ratio = reference_distance_m > 1.0 ? s.distance_m / reference_distance_m
                                                  : schemas::MetricOr(s, "progress_ratio");
  ScoreInputs in;
  in.at_fault_collision = schemas::MetricOr(s, "at_fault_collision") > 0;
  in.off_road = schemas::MetricOr(s, "off_road") > 0;
  in.progress_ratio = ratio;
  in.ttc_violated = schemas::MetricOr(s, "near_miss") > 0;
  in.speed_compliance = schemas::MetricOr(s, "speed_compliance");
  in.comfort_violated = schemas::MetricOr(s, "comfort_violation_steps") > 0;
  SetMetric(&s, "progress_ratio", ratio);
  SetMetric(&s, "score", ClosedLoopScore(in));
}

}  // namespace tarmac::envs
