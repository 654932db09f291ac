// What the rollout fleet does with its episodes: behaviours counted and logs written, scenario
// mixes drawn from (and reloaded), DAgger labels and logged egos' demonstrations.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rollout_job_support.h"

namespace tarmac::actors {
namespace {

// Training episodes are analysed as they finish: behaviours counted in the metric and the
// summaries, one in log_every written as a log that replays bit-identically.
TEST(RolloutJobTest, ActorsCountBehavioursAndLogOneInNEpisodesThatReplay) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  std::ofstream(dir.path() + "/behaviours.yaml") << "behaviours:\n"
                                                    "  every_episode: {when: \"duration_s > 0\"}\n"
                                                    "  never: {when: \"duration_s < 0\"}\n";
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "cut_in-v0";
  options.expert = true;
  options.max_env_steps = 12000;  // about 30 recorded cut_in episodes
  options.behaviours = dir.path() + "/behaviours.yaml";
  options.log_every = 3;
  options.log_dir = dir.path() + "/logs";
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();

  // The first episode of each env started before recording could begin; the rest are counted.
  const std::vector<schemas::EpisodeSummary> finished = episodes.TakeNew();
  std::size_t recorded = 0;
  for (const schemas::EpisodeSummary& e : finished) {
    const double n = schemas::MetricOr(e, "behaviour.every_episode", -1.0);
    EXPECT_TRUE(n == -1.0 || n == 1.0) << n;
    recorded += n == 1.0 ? 1 : 0;
    EXPECT_EQ(schemas::MetricOr(e, "behaviour.never", 0.0), 0.0);
  }
  ASSERT_GT(recorded, 10U);
  EXPECT_EQ(metrics.behaviour_total.Add({{"behaviour", "every_episode"}}).Value(),
            static_cast<double>(recorded));
  EXPECT_EQ(metrics.behaviour_total.Add({{"behaviour", "never"}}).Value(), 0.0);

  std::size_t logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options.log_dir)) {
    auto log = schemas::ReadEpisodeLogFile(entry.path());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(log->policy, "expert");
    EXPECT_EQ(schemas::MetricOr(log->summary, "behaviour.every_episode"), 1.0);
    EXPECT_TRUE(envs::ReplayEpisodeLog(*log).ok()) << entry.path();
    ++logs;
  }
  // One in three of each env's recorded episodes is complete and written (staggered per env,
  // so each of the 8 envs may be one ahead or behind).
  EXPECT_GE(logs + 8, recorded / 3);
  EXPECT_LE(logs, recorded / 3 + 8);
  EXPECT_GT(logs, 0U);

  // Every finished episode's summary reached the stream, counts included.
  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok()) << control.status();
  auto streamed = (*control)->RecentEpisodes(100000);
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_EQ(streamed->size(), finished.size());
  std::size_t streamed_recorded = 0;
  for (const std::string& bytes : *streamed) {
    auto summary = schemas::DecodeEpisodeSummary(bytes);
    ASSERT_TRUE(summary.ok()) << summary.status();
    streamed_recorded += schemas::MetricOr(*summary, "behaviour.every_episode") == 1.0 ? 1 : 0;
  }
  EXPECT_EQ(streamed_recorded, recorded);

  options.behaviours = dir.path() + "/missing.yaml";
  ASSERT_TRUE(RefusedNaming(runner, options, metrics, "missing.yaml"));
}

// A scenario mix: the actors draw each episode's scenario from its sources, count them per
// source, and the episodes are those sources' families.
TEST(RolloutJobTest, AScenarioMixDecidesTheFamiliesAndIsCountedPerSource) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.analyse = false;
  options.max_env_steps = 8000;
  envs::ScenarioSource braking, curves;
  braking.name = "braking";
  braking.weight = 3.0;
  braking.family = envs::ScenarioFamily::kLeadBrake;
  curves.name = "curves";
  curves.weight = 1.0;
  curves.family = envs::ScenarioFamily::kCurve;
  auto mix = envs::ScenarioMix::Create({braking, curves});
  ASSERT_TRUE(mix.ok()) << mix.status();
  options.mix = std::make_shared<const envs::ScenarioMix>(*mix);
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  int lead_brake = 0, curve = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) {
    EXPECT_TRUE(e.scenario == "lead_brake" || e.scenario == "curve") << e.scenario;
    lead_brake += e.scenario == "lead_brake" ? 1 : 0;
    curve += e.scenario == "curve" ? 1 : 0;
  }
  const double counted_braking =
      metrics.scenario_source_episodes_total.Add({{"source", "braking"}}).Value();
  const double counted_curves =
      metrics.scenario_source_episodes_total.Add({{"source", "curves"}}).Value();
  // Started episodes: the finished ones plus the one each of the 8 envs has under way.
  EXPECT_EQ(counted_braking + counted_curves, lead_brake + curve + 8);
  EXPECT_GE(counted_braking, lead_brake);
  EXPECT_GE(counted_curves, curve);
  EXPECT_GT(lead_brake, 0);
  EXPECT_GT(curve, 0);  // the proportions are ScenarioMixTest's (chi-square)
  EXPECT_EQ(metrics.scenario_source_episodes_total.Add({{"source", "env"}}).Value(), 0.0);
}

// The mix file changes while the rollout runs: the envs switch to the new mix from their next
// episode (within a few heartbeats), and a file that no longer loads leaves the mix as it was.
TEST(RolloutJobTest, AChangedMixFileTakesEffectDuringTheRunAndABrokenOneIsIgnored) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  const std::string file = dir.path() + "/mix.txt";
  std::ofstream(file) << "lead_brake";
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.analyse = false;
  options.scenario_mix = file;
  // A stand-in for the CLI's parser: the file names one family, anything else is refused.
  options.load_mix = [](const std::string& path) -> absl::StatusOr<envs::ScenarioMix> {
    std::ifstream in(path);
    std::string name;
    in >> name;
    envs::ScenarioSource source;
    source.name = name;
    if (name == "lead_brake") {
      source.family = envs::ScenarioFamily::kLeadBrake;
    } else if (name == "curve") {
      source.family = envs::ScenarioFamily::kCurve;
    } else {
      return absl::InvalidArgumentError(path + " names no family");
    }
    return envs::ScenarioMix::Create({source});
  };
  auto first = options.load_mix(file);
  ASSERT_TRUE(first.ok());
  options.mix = std::make_shared<const envs::ScenarioMix>(*first);
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  const auto counted = [&](const std::string& source) {
    return metrics.scenario_source_episodes_total.Add({{"source", source}}).Value();
  };
  // Rewrites the file with a modification time one second on, so the change is seen.
  const auto rewrite = [&](const std::string& text) {
    const auto before = std::filesystem::last_write_time(file);
    std::ofstream(file) << text;
    std::filesystem::last_write_time(file, before + std::chrono::seconds(1));
  };
  BackgroundJob job(options, &metrics);
  ASSERT_TRUE(WaitFor([&] { return counted("lead_brake") >= 16; }));
  rewrite("curve");
  ASSERT_TRUE(WaitFor([&] { return counted("curve") >= 16; })) << "the new mix never took effect";
  const double braking_after_switch = counted("lead_brake");
  rewrite("nonsense");
  // Five heartbeats: the broken file has been read (and refused) by the time this ends.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double curves_before_broken = counted("curve");
  ASSERT_TRUE(WaitFor([&] { return counted("curve") >= curves_before_broken + 16; }))
      << "a broken file stopped the rollout's episodes";
  ASSERT_TRUE(job.Stop().ok());
  EXPECT_EQ(counted("lead_brake"), braking_after_switch) << "lead_brake episodes after the switch";
  EXPECT_EQ(counted("nonsense"), 0.0);
  int curve = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) curve += e.scenario == "curve";
  EXPECT_GT(curve, 0);
}

// DAgger: the published policy drives and each recorded action is what the env's expert does
// in the state the policy reached. The test replays every logged episode with the executed
// actions and a fresh expert that sees the same states, and finds each state's transition.
TEST(RolloutJobTest, DaggerRecordsTheExpertsActionInEveryStateThePolicyVisits) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "cut_in-v0";
  options.dagger = true;  // no weights are published: the initial network drives
  options.n_step = 1;
  options.noise_scale = 0.0F;
  options.table.name = "demos";
  options.table.max_times_sampled = 1;
  options.max_env_steps = 12000;  // the first episode of each env is not recorded
  options.log_every = 1;
  options.log_dir = dir.path() + "/logs";
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();

  auto client = Connect(**server);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::uint64_t> tags;
  const auto all = DrainTable(**client, "demos", &tags);
  ASSERT_EQ(all.size(), result->transitions);
  for (std::uint64_t t : tags) ASSERT_NE(t & kDaggerTag, 0U) << "an item lacks the dagger tag";
  const auto key = [](absl::Span<const float> obs) {
    return std::string(reinterpret_cast<const char*>(obs.data()), obs.size() * sizeof(float));
  };
  std::map<std::string, const schemas::Transition*> by_state;
  for (const auto& t : all) by_state[key(t.obs)] = &t;

  std::size_t checked = 0, relabelled = 0, logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options.log_dir)) {
    auto log = schemas::ReadEpisodeLogFile(entry.path());
    ASSERT_TRUE(log.ok()) << log.status();
    auto family = envs::ParseFamily(log->scenario);
    auto config = envs::EnvConfigFromEntries(log->env_config);
    ASSERT_TRUE(family.ok() && config.ok());
    envs::DrivingEnv env(envs::DrivingEnvOptions::From(*config, log->env_name, *family));
    std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
    std::vector<float> label(env.spec().action_size);
    env.Reset(log->seed, absl::MakeSpan(obs));
    std::unique_ptr<envs::Policy> expert = env.MakeExpert();
    ASSERT_NE(expert, nullptr);
    expert->Reset(env);
    for (std::size_t k = 0; k + 1 < log->steps.size(); ++k) {
      expert->Act(env, obs, absl::MakeSpan(label));
      const auto found = by_state.find(key(obs));
      ASSERT_NE(found, by_state.end()) << entry.path() << ": no transition from step " << k;
      EXPECT_EQ(found->second->step, k);
      ASSERT_EQ(found->second->action, label) << entry.path() << ", step " << k;
      const std::vector<float> executed(log->steps[k + 1].action.begin(),
                                        log->steps[k + 1].action.end());
      relabelled += executed != label ? 1 : 0;
      env.Step(executed, absl::MakeSpan(obs), absl::MakeSpan(terms));
      ++checked;
    }
    ++logs;
  }
  ASSERT_GT(logs, 0U);
  EXPECT_GT(checked, 1000U);
  // The untrained network drives unlike the expert: the labels are not the executed actions.
  EXPECT_GT(relabelled, checked * 9 / 10);

  options.expert = true;  // DAgger labels a network's driving; it cannot drive the expert
  ASSERT_TRUE(RefusedNaming(runner, options, metrics, "DAgger"));
}

// --policy log: the logged ego of each imported scenario drives (here the expert's own driving
// stands for a human's), and its actions fill the demos table; without such a mix it refuses.
TEST(RolloutJobTest, PolicyLogRecordsTheLoggedEgosDrivingAsDemonstrations) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.log_ego = true;
  options.analyse = false;
  options.n_step = 1;
  options.table.name = "demos";
  options.table.max_times_sampled = 1;  // DrainTable reads every item once
  options.max_env_steps = 6000;         // 750 steps an env: past the 300-step episodes
  monitoring::Metrics metrics;
  JobRunner runner;
  ASSERT_TRUE(RefusedNaming(runner, options, metrics, "give a scenario mix"));

  envs::ScenarioSource generated;
  generated.name = "generated";
  generated.family = envs::ScenarioFamily::kHighway;
  generated.cases = {{envs::ScenarioFamily::kHighway, {}, 3, nullptr}};
  options.mix = std::make_shared<const envs::ScenarioMix>(*envs::ScenarioMix::Create({generated}));
  ASSERT_TRUE(RefusedNaming(runner, options, metrics, "source 'generated'"));

  envs::ScenarioSource humans;
  humans.name = "humans";
  envs::EnvExpert expert;
  for (std::uint64_t seed : {2ULL, 5ULL}) {
    envs::Scenario scenario = envs::GenerateScenario(envs::ScenarioFamily::kHighway, {}, seed);
    envs::EpisodeRecording recorded{"expert", 0, {}};
    envs::RunEpisode(expert, envs::ScenarioFamily::kHighway, {}, seed, {}, &recorded);
    scenario.ego_track = envs::EgoTrackOf(recorded.log);
    // A 2 m sideways jump 5 s in: steps the vehicle model cannot drive.
    if (seed == 5) {
      for (envs::TrackPoint& p : scenario.ego_track) {
        if (std::abs(p.t - 5.0) < 1e-6) p.d += 2.0;
      }
    }
    scenario.name = "human";
    humans.cases.push_back({envs::ScenarioFamily::kHighway,
                            {},
                            seed,
                            std::make_shared<const envs::Scenario>(std::move(scenario))});
  }
  options.mix = std::make_shared<const envs::ScenarioMix>(*envs::ScenarioMix::Create({humans}));
  EpisodeLog episodes;
  options.episode_log = &episodes;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  auto client = Connect(**server);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::uint64_t> tags;
  const auto all = DrainTable(**client, "demos", &tags);
  EXPECT_EQ(all.size(), result->transitions);
  EXPECT_GT(result->transitions, 1000U);
  // Only the steps around the planted jump carry kInfeasibleTag.
  std::size_t infeasible = 0;
  for (std::size_t k = 0; k < all.size(); ++k) {
    if ((tags[k] & kInfeasibleTag) == 0) continue;
    ++infeasible;
    EXPECT_GE(all[k].step, 48U);
    EXPECT_LE(all[k].step, 52U);
  }
  EXPECT_GT(infeasible, 0U);
  int finished = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) {
    EXPECT_EQ(e.scenario, "human");
    EXPECT_EQ(schemas::MetricOr(e, "collision"), 0.0);
    ++finished;
  }
  EXPECT_GT(finished, 0);
}

}  // namespace
}  // namespace tarmac::actors
