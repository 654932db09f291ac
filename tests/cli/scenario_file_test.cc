#include "tarmac/cli/scenario_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "highd_recording.h"
#include "run_tarmac.h"
#include "subprocess.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Every ego state and every logged vehicle of two recorded episodes, compared bit for bit.
void ExpectSameEpisode(const envs::EpisodeRecording& a, const envs::EpisodeRecording& b,
                       const std::string& what) {
  ASSERT_EQ(a.log.steps.size(), b.log.steps.size()) << what;
  for (std::size_t k = 0; k < a.log.steps.size(); ++k) {
    const schemas::LoggedStep& x = a.log.steps[k];
    const schemas::LoggedStep& y = b.log.steps[k];
    ASSERT_EQ(x.ego.x, y.ego.x) << what << " step " << k;
    ASSERT_EQ(x.ego.y, y.ego.y) << what << " step " << k;
    ASSERT_EQ(x.ego.heading, y.ego.heading) << what << " step " << k;
    ASSERT_EQ(x.ego.speed, y.ego.speed) << what << " step " << k;
    ASSERT_EQ(x.reward, y.reward) << what << " step " << k;
    ASSERT_EQ(x.events, y.events) << what << " step " << k;
    ASSERT_EQ(x.vehicles.size(), y.vehicles.size()) << what << " step " << k;
    for (std::size_t v = 0; v < x.vehicles.size(); ++v) {
      ASSERT_EQ(x.vehicles[v].id, y.vehicles[v].id) << what << " step " << k;
      ASSERT_EQ(x.vehicles[v].s, y.vehicles[v].s) << what << " step " << k;
      ASSERT_EQ(x.vehicles[v].d, y.vehicles[v].d) << what << " step " << k;
      ASSERT_EQ(x.vehicles[v].speed, y.vehicles[v].speed) << what << " step " << k;
    }
  }
  EXPECT_EQ(a.log.summary.scenario, b.log.summary.scenario) << what;
  EXPECT_EQ(a.log.summary.episode_return, b.log.summary.episode_return) << what;
}

TEST(ScenarioFileTest, AnExportedEpisodeReplaysBitIdentically) {
  envs::EnvExpert expert;
  for (envs::ScenarioFamily family : envs::kAllFamilies) {
    for (std::uint64_t seed : {0ULL, 7ULL, 123456789ULL}) {
      const std::string what = absl::StrCat(envs::FamilyName(family), " seed ", seed);
      const envs::Scenario generated = envs::GenerateScenario(family, {}, seed);
      absl::StatusOr<envs::Scenario> parsed =
          ParseScenarioFile(ScenarioFileText(generated), "exported.yaml");
      ASSERT_TRUE(parsed.ok()) << what << ": " << parsed.status();
      envs::EpisodeRecording a{"expert", 0, {}}, b{"expert", 0, {}};
      envs::RunEpisode(expert, family, {}, seed, {}, &a);
      envs::RunEpisode(expert, std::make_shared<const envs::Scenario>(*parsed), {}, &b);
      ExpectSameEpisode(a, b, what);
      // And the text is a fixed point: the parsed scenario writes the same file.
      EXPECT_EQ(ScenarioFileText(*parsed), ScenarioFileText(generated)) << what;
    }
  }
}

TEST(ScenarioFileTest, AnEpisodeWithADriverPopulationExportsAndReplaysBitIdentically) {
  absl::StatusOr<envs::Suite> suite = ParseSuite(
      "families:\n  - {family: dense, count: 2, seed: 4, overrides: {population: {normal: 0.4, "
      "aggressive: 0.3, late: {like: distracted, weight: 0.3, reaction: [1.0, 1.5]}}}}\n",
      "population.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  const envs::ScenarioConfig& config = suite->entries[0].config;
  ASSERT_EQ(config.population.size(), 3u);
  EXPECT_EQ(config.population[2].profile.name, "late");
  EXPECT_EQ(config.population[2].profile.reaction.min, 1.0);
  envs::EnvExpert expert;
  for (std::uint64_t seed : {4ULL, 5ULL}) {
    const envs::Scenario generated =
        envs::GenerateScenario(envs::ScenarioFamily::kDense, config, seed);
    const std::string text = ScenarioFileText(generated);
    EXPECT_THAT(text, HasSubstr("reaction: "));
    EXPECT_THAT(text, HasSubstr("b_safe: "));
    absl::StatusOr<envs::Scenario> parsed = ParseScenarioFile(text, "dense.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    envs::EpisodeRecording a{"expert", 0, {}}, b{"expert", 0, {}};
    envs::RunEpisode(expert, envs::ScenarioFamily::kDense, config, seed, {}, &a);
    envs::RunEpisode(expert, std::make_shared<const envs::Scenario>(*parsed), {}, &b);
    ExpectSameEpisode(a, b, absl::StrCat("dense with a population, seed ", seed));
  }
  EXPECT_FALSE(
      ParseSuite("families:\n  - {family: dense, overrides: {population: {reckless: 1}}}\n",
                 "bad.yaml")
          .ok());
}

// A straight two-lane road: the ego in lane 0 at s = 100 m and 20 m/s, one logged agent `gap`
// m behind it in the same lane at 20 m/s for 10 s (samples every 0.1 s), nothing else; once IDM
// drives it, it keeps its lane.
std::string FollowerScenario(bool reactive, double gap) {
  std::string text = absl::StrCat(
      "name: follower\nseed: 5\nsteps: 100\nroad:\n  segments: [{length: 1000}]\n"
      "  lanes: [{index: 0}, {index: 1}]\nego: {s: 100, lane: 0, speed: 20}\n"
      "logged_agents:\n  - {length: 4.8, width: 1.9, lane_changes: false, reactive: ",
      reactive ? "true" : "false", ", track: [");
  for (int k = 0; k <= 100; ++k) {
    const double t = 0.1 * k;
    absl::StrAppend(&text, k == 0 ? "" : ", ", "[", t, ", ", 100.0 - gap + 20.0 * t, ", ",
                    k < 50 ? 0.0 : 0.01 * (k - 50), ", 20]");
  }
  return text + "]}\n";
}

struct Drive {
  std::vector<envs::TrafficVehicle> agent;  // the logged agent after each step
  bool collided = false;
};

// Steps the scenario with the ego holding `accel` from `brake_at` s on (0 before).
Drive DriveScenario(const std::string& text, double brake_at, float accel) {
  absl::StatusOr<envs::Scenario> scenario = ParseScenarioFile(text, "follower.yaml");
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  envs::DrivingEnv env({});
  env.SetFixedScenario(std::make_shared<const envs::Scenario>(*scenario));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(999, absl::MakeSpan(obs));
  Drive drive;
  for (int k = 0; k < 100; ++k) {
    const float action[2] = {env.time() >= brake_at ? accel : 0.0F, 0.0F};
    const envs::StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    drive.agent.push_back(env.traffic().vehicles().at(0));
    drive.collided = drive.collided || env.Summary().outcome == schemas::Outcome::kCollision;
    if (r.terminated || r.truncated) break;
  }
  return drive;
}

TEST(ScenarioFileTest, AScenarioWithLoggedAgentsWritesAFileThatReadsBackTheSame) {
  for (bool reactive : {false, true}) {
    absl::StatusOr<envs::Scenario> first =
        ParseScenarioFile(FollowerScenario(reactive, 40.0), "follower.yaml");
    ASSERT_TRUE(first.ok()) << first.status();
    const std::string text = ScenarioFileText(*first);
    absl::StatusOr<envs::Scenario> second = ParseScenarioFile(text, "follower.yaml");
    ASSERT_TRUE(second.ok()) << second.status() << "\n" << text;
    EXPECT_EQ(ScenarioFileText(*second), text);
    ASSERT_EQ(second->tracks.size(), 1u);
    EXPECT_EQ(second->tracks[0].reactive, reactive);
    EXPECT_EQ(second->tracks[0].points.size(), 101u);
    EXPECT_FALSE(second->logged[0].lane_changes);
  }
}

TEST(ScenarioFileTest, AScenarioSetHoldsTheSameEpisodesAsTheFilesAndASuiteDrivesIt) {
  testing::TempDir dir;
  std::vector<std::shared_ptr<const envs::Scenario>> scenarios;
  for (envs::ScenarioFamily family : envs::kAllFamilies) {
    scenarios.push_back(
        std::make_shared<const envs::Scenario>(envs::GenerateScenario(family, {}, 21)));
  }
  absl::StatusOr<envs::Scenario> logged =
      ParseScenarioFile(FollowerScenario(true, 40.0), "follower.yaml");
  ASSERT_TRUE(logged.ok());
  scenarios.push_back(std::make_shared<const envs::Scenario>(*logged));
  const std::string path = dir.path() + "/all.scenarios";
  std::ofstream(path, std::ios::binary) << ScenarioSetBytes(scenarios);
  absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> set = LoadScenarios(path);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), scenarios.size());
  envs::EnvExpert expert;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    // The set's scenario writes the same YAML and drives the same episode.
    EXPECT_EQ(ScenarioFileText(*(*set)[i]), ScenarioFileText(*scenarios[i]));
    envs::EpisodeRecording a{"expert", 0, {}}, b{"expert", 0, {}};
    envs::RunEpisode(expert, scenarios[i], {}, &a);
    envs::RunEpisode(expert, (*set)[i], {}, &b);
    ExpectSameEpisode(a, b, scenarios[i]->name);
  }
  std::ofstream(dir.path() + "/suite.yaml") << "families:\n  - {scenarios: all.scenarios}\n";
  absl::StatusOr<envs::Suite> suite = LoadSuite(dir.path() + "/suite.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(suite->entries.size(), scenarios.size());

  Result packed =
      RunTarmac({"scenario", "pack", path, std::string(TARMAC_SOURCE_DIR) + "/configs/scenarios",
                 "--out", dir.path() + "/more.scenarios"});
  ASSERT_EQ(packed.code, 0) << packed.err;
  EXPECT_THAT(packed.out, HasSubstr("packed 9 scenarios"));
  std::ofstream(dir.path() + "/bad.scenarios") << "not a scenario set";
  Result bad = RunTarmac({"scenario", "check", dir.path() + "/bad.scenarios"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, MatchesRegex("tarmac: .*bad\\.scenarios: ScenarioSet message .*\\.\n"));
}

TEST(ScenarioFileTest, TheLogPolicyDrivesTheLoggedEgoAlongItsLog) {
  // The expert's own driving on highway episodes (lane changes included) as the logged ego:
  // driving the log reproduces it within 0.5 m along and 0.25 m across the road (measured:
  // 0.04 and 0.13 m).
  envs::EnvExpert expert;
  envs::LogPolicy log;
  for (std::uint64_t seed : {2ULL, 5ULL, 8ULL}) {
    envs::Scenario scenario = envs::GenerateScenario(envs::ScenarioFamily::kHighway, {}, seed);
    envs::EpisodeRecording recorded{"expert", 0, {}};
    envs::RunEpisode(expert, envs::ScenarioFamily::kHighway, {}, seed, {}, &recorded);
    scenario.ego_track = envs::EgoTrackOf(recorded.log);
    // Through a file and back: the ego's track is part of it.
    absl::StatusOr<envs::Scenario> parsed =
        ParseScenarioFile(ScenarioFileText(scenario), "human.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->ego_track.size(), scenario.ego_track.size());
    envs::EpisodeRecording driven{"log", 0, {}};
    envs::RunEpisode(log, std::make_shared<const envs::Scenario>(*parsed), {}, &driven);
    ASSERT_EQ(driven.log.steps.size(), recorded.log.steps.size()) << seed;
    double worst_s = 0, worst_d = 0;
    for (std::size_t k = 0; k < driven.log.steps.size(); ++k) {
      worst_s = std::max(worst_s, std::abs(driven.log.steps[k].ego.s - scenario.ego_track[k].s));
      worst_d = std::max(worst_d, std::abs(driven.log.steps[k].ego.d - scenario.ego_track[k].d));
    }
    EXPECT_LT(worst_s, 0.5) << seed;
    EXPECT_LT(worst_d, 0.25) << seed;
    std::printf("seed %llu: log policy within %.2f m along, %.2f m across\n",
                static_cast<unsigned long long>(seed), worst_s, worst_d);
  }
}

TEST(ScenarioFileTest, ALoggedAgentMovesExactlyAlongItsLogWhenNotReactive) {
  const Drive drive = DriveScenario(FollowerScenario(false, 40.0), 0.0, 0.0F);
  ASSERT_EQ(drive.agent.size(), 100u);
  for (std::size_t k = 0; k < drive.agent.size(); ++k) {
    const double t = 0.1 * static_cast<double>(k + 1);
    const envs::TrafficVehicle& v = drive.agent[k];
    EXPECT_NEAR(v.s, 60.0 + 20.0 * t, 1e-9) << "step " << k;
    EXPECT_NEAR(v.d, k + 1 < 50 ? 0.0 : 0.01 * static_cast<double>(k + 1 - 50), 1e-9) << k;
    EXPECT_EQ(v.speed, 20.0) << "step " << k;
    EXPECT_EQ(v.track, 0) << "step " << k;
  }
}

TEST(ScenarioFileTest, AReactiveLoggedAgentHandsOverToIdmWhenTheEgoBrakesInFrontOfIt) {
  // The ego brakes at 3 s. Non-reactive, the log drives into it; reactive, IDM takes over.
  const Drive logged = DriveScenario(FollowerScenario(false, 40.0), 3.0, -6.0F);
  EXPECT_TRUE(logged.collided);
  const Drive reactive = DriveScenario(FollowerScenario(true, 40.0), 3.0, -6.0F);
  EXPECT_FALSE(reactive.collided);
  std::size_t handed_over = reactive.agent.size();
  for (std::size_t k = 0; k < reactive.agent.size(); ++k) {
    if (reactive.agent[k].track < 0) {
      handed_over = k;
      break;
    }
    EXPECT_NEAR(reactive.agent[k].s, 60.0 + 20.0 * 0.1 * static_cast<double>(k + 1), 1e-9) << k;
  }
  // It follows the log while the ego cruises, yields after the ego starts braking, then stops
  // behind it.
  EXPECT_GE(handed_over, 30u);
  ASSERT_LT(handed_over, 60u);
  double slowest = 20.0;
  for (std::size_t k = handed_over; k < reactive.agent.size(); ++k) {
    slowest = std::min(slowest, reactive.agent[k].speed);
    EXPECT_EQ(reactive.agent[k].track, -1);
  }
  EXPECT_LT(slowest, 3.0);
}

TEST(ScenarioFileTest, BadFilesAreOneSentenceNamingTheFileAndTheField) {
  const std::string ok =
      "road:\n  segments: [{length: 800}]\n  lanes: [{index: 0}, {index: 1}]\n"
      "ego: {s: 50, lane: 0, speed: 20}\n";
  struct Case {
    std::string text;
    std::string names;
  };
  const std::vector<Case> cases = {
      {ok + "colour: red\n", "the file has an unknown key 'colour'"},
      {ok + "agents:\n  - {s: 90, lane: 1, speed: 20, colour: red}\n",
       "agents[0] has an unknown key 'colour'"},
      {ok + "agents:\n  - {s: 90, lane: 4, speed: 20}\n", "agents[0].lane is 4"},
      {ok + "agents:\n  - {s: 90, lane: 1, speed: -3}\n", "agents[0].speed is -3"},
      {ok + "agents:\n  - {s: 52, lane: 0, speed: 20}\n", "agents[0] overlaps the ego at t = 0"},
      {ok + "agents:\n  - {s: 90, lane: 1, speed: 20, manoeuvres: [{brake: {at: 2}}]}\n",
       "agents[0].manoeuvres[0].brake.decel is missing"},
      {ok + "logged_agents:\n  - {track: [[0, 10, 0, 20], [0, 12, 0, 20]]}\n",
       "logged_agents[0].track[1].t must be >= 0 and later than the sample before it"},
      {ok + "logged_agents:\n  - {track: [[0, 10, 0, nan]]}\n",
       "logged_agents[0].track[0] must be a finite number"},
      {"road:\n  segments: [{length: 800}]\n  lanes: [{index: 0}]\n", "ego is missing"},
      {ok + "dt: 0\n", "dt must be in (0, 1] s"},
      {"ego: [\n", "is not valid YAML"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<envs::Scenario> parsed = ParseScenarioFile(c.text, "bad.yaml");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("bad.yaml")) << c.text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.names)) << c.text;
    EXPECT_EQ(std::string(parsed.status().message()).find('\n'), std::string::npos);
  }
  EXPECT_TRUE(ParseScenarioFile(ok, "good.yaml").ok());
}

TEST(ScenarioFileTest, TheShippedScenarioFilesCheckAndTheExpertDrivesThemWithoutCollision) {
  absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> shipped =
      LoadScenarioFolder(std::string(TARMAC_SOURCE_DIR) + "/configs/scenarios");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  envs::EnvExpert expert;
  for (const auto& scenario : *shipped) {
    const envs::EpisodeResult r = envs::RunEpisode(expert, scenario);
    EXPECT_EQ(schemas::MetricOr(r.summary, "collision"), 0.0) << scenario->name;
    EXPECT_GT(r.summary.distance_m, 100.0) << scenario->name;
  }
}

TEST(ScenarioFileTest, ASuiteDrivesScenarioFilesAndFoldersOfThem) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/cases");
  for (std::uint64_t seed : {3ULL, 4ULL}) {
    std::ofstream(dir.path() + "/cases/cut_in_" + std::to_string(seed) + ".yaml")
        << ScenarioFileText(envs::GenerateScenario(envs::ScenarioFamily::kCutIn, {}, seed));
  }
  std::ofstream(dir.path() + "/follower.yaml") << FollowerScenario(true, 40.0);
  std::ofstream(dir.path() + "/suite.yaml")
      << "families:\n  - {scenario: follower.yaml}\n  - {scenarios: cases}\n"
         "  - {family: cut_in, count: 1, seed: 3}\n";
  absl::StatusOr<envs::Suite> suite = LoadSuite(dir.path() + "/suite.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  ASSERT_EQ(suite->entries.size(), 4u);
  EXPECT_EQ(envs::EntryLabel(suite->entries[0]), "follower");
  EXPECT_EQ(envs::EntryLabel(suite->entries[1]), "cut_in");
  EXPECT_EQ(suite->entries[2].first_seed, 4u);
  absl::StatusOr<std::vector<envs::ScenarioCase>> cases = SuiteCases(*suite);
  ASSERT_TRUE(cases.ok());
  EXPECT_NE((*cases)[1].scenario, nullptr);
  EXPECT_EQ((*cases)[3].scenario, nullptr);
  // The file's cut-in and the generated one are the same episode.
  envs::EnvExpert expert;
  envs::EpisodeRecording a{"expert", 0, {}}, b{"expert", 0, {}};
  envs::RunEntryEpisode(expert, suite->entries[1], 3, {}, &a);
  envs::RunEntryEpisode(expert, suite->entries[3], 3, {}, &b);
  ExpectSameEpisode(a, b, "cut_in seed 3 from its file");

  Result eval = RunTarmac({"eval", "--policy", "expert", "--suite", dir.path() + "/suite.yaml",
                           "--out", dir.path() + "/eval"});
  EXPECT_EQ(eval.code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("follower"));

  std::ofstream(dir.path() + "/broken.yaml") << "families:\n  - {scenario: missing.yaml}\n";
  Result broken = RunTarmac({"eval", "--policy", "expert", "--suite", dir.path() + "/broken.yaml"});
  EXPECT_EQ(broken.code, 2);
  EXPECT_THAT(broken.err, MatchesRegex("tarmac: .*entry 1.*missing\\.yaml.*\\.\n"));
}

TEST(ScenarioCommandTest, ExportWritesAFileThatChecksAndBadInputIsExitTwo) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/lead.yaml";
  Result exported =
      RunTarmac({"scenario", "export", "--family", "lead_brake", "--seed", "11", "--out", file});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("bit-identically"));
  Result checked = RunTarmac({"scenario", "check", file});
  EXPECT_EQ(checked.code, 0) << checked.err;
  EXPECT_THAT(checked.out, HasSubstr("ok (lead_brake: "));

  Result family = RunTarmac(
      {"scenario", "export", "--family", "roundabout", "--seed", "1", "--out", dir.path() + "/x"});
  EXPECT_EQ(family.code, 2);
  EXPECT_THAT(family.err, MatchesRegex("tarmac: unknown scenario family 'roundabout'.*\\.\n"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x"));

  std::ofstream(dir.path() + "/bad.yaml") << "road: {segments: [{length: 500}], lanes: "
                                             "[{index: 0}]}\nego: {s: 50, lane: 0, speed: 20, "
                                             "heading: 1}\n";
  Result bad = RunTarmac({"scenario", "check", dir.path() + "/bad.yaml"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err,
              MatchesRegex("tarmac: .*bad\\.yaml: ego has an unknown key 'heading'.*\\.\n"));
}

TEST(ScenarioCommandTest, ImportHighdWritesEpisodesThatCheckAndAReport) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/highd";
  std::filesystem::create_directories(data);
  testing::WriteRecording(data, testing::Vehicles(), 500, 700.0);
  const std::string out = dir.path() + "/scenarios";
  Result imported = RunTarmac({"scenario", "import-highd", data, "--out", out});
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("wrote 2 episodes (1 cut_in, 1 hard_brake)"));
  EXPECT_THAT(imported.out, HasSubstr("worst tracks: 01/5 "));
  absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> scenarios =
      LoadScenarioFolder(out);
  ASSERT_TRUE(scenarios.ok()) << scenarios.status();
  ASSERT_EQ(scenarios->size(), 2u);
  EXPECT_EQ((*scenarios)[0]->name, "highd_01_cut_in_2_1");
  EXPECT_FALSE((*scenarios)[0]->logged.empty());
  EXPECT_TRUE(std::filesystem::exists(out + "/import_report.json"));
  // The expert drives the logged cut-in without an at-fault collision.
  envs::EnvExpert expert;
  const envs::EpisodeResult r = envs::RunEpisode(expert, (*scenarios)[0]);
  EXPECT_EQ(schemas::MetricOr(r.summary, "at_fault_collision"), 0.0);

  // The humans' own driving, as a policy, against the expert on the imported cases.
  std::ofstream(dir.path() + "/humans.yaml") << "families:\n  - {scenarios: scenarios}\n";
  Result humans = RunTarmac({"eval", "--policy", "log", "--suite", dir.path() + "/humans.yaml",
                             "--out", dir.path() + "/humans"});
  EXPECT_EQ(humans.code, 0) << humans.err;
  EXPECT_THAT(humans.out, HasSubstr("highd_01_cut_in_2_1"));
  std::ofstream(dir.path() + "/generated.yaml") << "families:\n  - {family: cut_in, count: 1}\n";
  Result no_log = RunTarmac({"eval", "--policy", "log", "--suite", dir.path() + "/generated.yaml"});
  EXPECT_EQ(no_log.code, 2);
  EXPECT_THAT(no_log.err, HasSubstr("the suite's entry cut_in has none"));

  // A broken recording: one sentence, exit 2, nothing written.
  std::ofstream(data + "/01_tracks.csv") << "frame,id,x\n1,1,5\n";
  const std::string out2 = dir.path() + "/none";
  Result broken = RunTarmac({"scenario", "import-highd", data, "--out", out2});
  EXPECT_EQ(broken.code, 2);
  EXPECT_THAT(broken.err, MatchesRegex("tarmac: .*01_tracks\\.csv lacks the column 'y'.*\\.\n"));
  EXPECT_FALSE(std::filesystem::exists(out2));
}

}  // namespace
}  // namespace tarmac::cli
