// `tarmac train` end to end: a real embedded redis-server, rollout actors, the learner and the
// final evaluation in one process; then a kill -9 in the middle of RL and --resume.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "job_settings.h"
#include "subprocess.h"
#include "tarmac/cli/config_schema.h"
#include "train_run.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

// The pid of the embedded redis-server, from the run's log.
pid_t RedisPid(const std::string& log) {
  std::smatch m;
  if (std::regex_search(log, m, std::regex("embedded redis-server \\(pid ([0-9]+)\\)"))) {
    return static_cast<pid_t>(std::stol(m[1]));
  }
  return -1;
}

bool Alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

bool WaitGone(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Alive(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !Alive(pid);
}

// Names of the metric families on a /metrics page that have at least one sample.
std::set<std::string> FamiliesWithSamples(const std::string& page) {
  std::set<std::string> names;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        name.resize(name.size() - s.size());
      }
    }
    names.insert(name);
  }
  return names;
}

// Every family monitoring/metrics.cc declares (the one place metric names are written).
std::vector<std::string> DeclaredFamilies() {
  const std::string source = Read(std::string(TARMAC_SOURCE_DIR) + "/monitoring/metrics.cc");
  std::vector<std::string> names;
  const std::regex name(R"re(\.Name\("(tarmac_[a-z_]+)"\))re");
  for (auto it = std::sregex_iterator(source.begin(), source.end(), name);
       it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

TEST_F(TrainTest, ShortRunWritesEveryArtefactExportsEveryMetricAndLeavesNoProcess) {
  const int port = testing::FreeLoopbackPort();
  auto train =
      testing::Subprocess::Start({TARMAC_BINARY, "train", "--minutes", "1.25", "--config", config_,
                                  "--out", run_, "--metrics-port", std::to_string(port)},
                                 dir_.path() + "/stdout.log");
  ASSERT_TRUE(train.ok()) << train.status();

  // Scrape all along: some families fill in the demo phase, others only during RL.
  std::set<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  while (train->Running() && std::chrono::steady_clock::now() < deadline) {
    if (auto page = testing::HttpGet(port, "/metrics"); page.ok() && page->status == 200) {
      const auto names = FamiliesWithSamples(page->body);
      seen.insert(names.begin(), names.end());
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  auto code = train->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << "tarmac train did not finish in time";
  const std::string log = Read(run_ + "/train.log");
  ASSERT_EQ(*code, 0) << Read(dir_.path() + "/stdout.log");

  const std::vector<std::string> declared = DeclaredFamilies();
  ASSERT_GE(declared.size(), 20U);
  for (const std::string& family : declared) {
    EXPECT_TRUE(seen.count(family)) << family << " never had a sample";
  }
  for (const char* artefact : {"report.html", "report.json", "train.log", "state.json",
                               "curve.jsonl", "config.yaml", "redis.log"}) {
    EXPECT_TRUE(fs::is_regular_file(run_ + "/" + artefact)) << artefact;
  }
  bool checkpoint = false;
  for (const auto& e : fs::directory_iterator(run_ + "/checkpoints")) {
    checkpoint = checkpoint || e.path().extension() == ".pt";
  }
  EXPECT_TRUE(checkpoint) << "no final checkpoint";
  EXPECT_FALSE(fs::is_empty(run_ + "/sft"));
  const json report = json::parse(Read(run_ + "/report.json"));
  EXPECT_EQ(report["episodes"].size(), 140U);  // the default suite: 7 families x 20 seeds
  // RL episodes come from the built-in `rl` mix (every family, merges oversampled), and the
  // report counts episodes per source.
  ASSERT_TRUE(report.contains("scenario_sources")) << report.dump().substr(0, 200);
  EXPECT_GT(report["scenario_sources"]["everything"].get<std::uint64_t>(), 0U)
      << report["scenario_sources"].dump();
  EXPECT_TRUE(report["overall"].contains("baseline"));
  ASSERT_TRUE(report.contains("curve"));
  EXPECT_GE(report["curve"].size(), 2U);
  const std::string html = Read(run_ + "/report.html");
  EXPECT_THAT(html, HasSubstr("Learning curves"));
  EXPECT_THAT(html, HasSubstr("class='tchart'"));  // charts drawn by the inlined Chart.js
  const json state = json::parse(Read(run_ + "/state.json"));
  EXPECT_EQ(state["phase"], "done");
  EXPECT_EQ(state["dagger_rounds"], 1);
  EXPECT_THAT(log, HasSubstr("train: dagger: round 1 of 1"));
  EXPECT_THAT(log, HasSubstr("labelled by the expert (DAgger)"));
  EXPECT_THAT(log, HasSubstr("train: done"));
  // The validation suite (seeds disjoint from the default suite's) has its own report.
  const json validation = json::parse(Read(run_ + "/validation/report.json"));
  EXPECT_EQ(validation["episodes"].size(), 140U);
  EXPECT_TRUE(fs::is_regular_file(run_ + "/validation/report.html"));
  EXPECT_THAT(log, HasSubstr("train: validation suite validation"));
  // Every RL checkpoint drove the selection suite (seeds disjoint from both); the best of them
  // (fewest at-fault collisions, then mean score) is the learned policy, here the average of
  // the best two written to learned/ under the best one's step.
  const json selection = json::parse(Read(run_ + "/selection/report.json"));
  EXPECT_EQ(selection["episodes"].size(), 420U);
  ASSERT_GE(selection["overall"]["policies"].size(), 2U);
  std::string best;
  double best_score = -1.0, best_crashes = 2.0;
  for (const auto& [name, figures] : selection["overall"]["policies"].items()) {
    const double score = figures["mean_score"].get<double>();
    const double crashes = figures["at_fault_collision_rate"].get<double>();
    if (crashes < best_crashes || (crashes == best_crashes && score > best_score) ||
        (crashes == best_crashes && score == best_score &&
         std::stoull(name.substr(5)) > std::stoull(best.substr(5)))) {
      best = name;  // "step N"; the newest among equals
      best_score = score;
      best_crashes = crashes;
    }
  }
  // The average when it does about as well as the best on the selection suite, else the best
  // itself (kAverageTolerance): either way named by the best one's step.
  std::smatch chosen;
  ASSERT_TRUE(std::regex_search(
      log, chosen,
      std::regex("train: selection: (the learned policy is (.*/learned/ckpt-0*([0-9]+)\\.pt), "
                 "the weight average of the 2 best|the weight average of the 2 best .* the "
                 "learned policy is (.*/checkpoints/ckpt-0*([0-9]+)\\.pt))")))
      << log;
  const bool averaged = chosen[2].matched;
  EXPECT_EQ("step " + chosen[averaged ? 3 : 5].str(), best);
  EXPECT_TRUE(fs::is_regular_file(chosen[averaged ? 2 : 4].str()));
  // The curve carries the learner's state: with the BC term the temperature stays at
  // train.alpha (a learned one would climb every update), and the entropy is measured.
  const json& last = report["curve"].back();
  EXPECT_NEAR(last["alpha"].get<double>(), 0.001, 1e-8);
  EXPECT_NE(last["entropy"].get<double>(), 0.0);

  // Nothing it started outlives it.
  const pid_t redis = RedisPid(log);
  ASSERT_GT(redis, 0) << log;
  EXPECT_TRUE(WaitGone(redis, std::chrono::seconds(5))) << "redis-server " << redis << " lives on";

  // A second run starts from the first one's SFT policy: no SFT of its own, that checkpoint is
  // its first and its baseline, and RL continues its learner steps.
  const std::string sft_file = fs::directory_iterator(run_ + "/sft")->path().string();
  const std::uint64_t sft_step = std::stoull(fs::path(sft_file).stem().string().substr(5));
  const std::string second = dir_.path() + "/from-init";
  auto init = testing::RunCommand(
      {TARMAC_BINARY, "train", "--updates", "30", "--config", config_, "--out", second, "--init",
       run_ + "/sft", "--set", "train.dagger_rounds=0", "--set", "train.selection_suite=", "--set",
       "train.validation_suite=", "--metrics-port", "0"},
      std::chrono::minutes(4));
  ASSERT_TRUE(init.ok()) << init.status();
  ASSERT_EQ(init->exit_code, 0) << init->err << init->out;
  const std::string init_log = Read(second + "/train.log");
  EXPECT_THAT(init_log, HasSubstr("train: starting from " + sft_file));
  EXPECT_THAT(init_log, ::testing::Not(HasSubstr("behaviour-cloning updates on `demos`")));
  EXPECT_TRUE(fs::is_regular_file(second + "/sft/" + fs::path(sft_file).filename().string()));
  std::uint64_t newest = 0;
  for (const auto& e : fs::directory_iterator(second + "/checkpoints")) {
    newest = std::max<std::uint64_t>(newest, std::stoull(e.path().stem().string().substr(5)));
  }
  EXPECT_GE(newest, sft_step + 30) << "RL continued the SFT policy's learner steps";
  EXPECT_EQ(json::parse(Read(second + "/state.json"))["phase"], "done");

  // tarmac finetune from the first run's learned policy on two cut-in cases: demos, closed-loop
  // SFT on the focus cases (their labels tagged dagger and focus), anchored RL on the mix, and
  // the verification's comparisons on the focus suite and a small suite.
  const std::string focus = dir_.path() + "/focus.yaml";
  std::ofstream(focus)
      << "name: cut-in-cases\nfamilies:\n  - {family: cut_in, count: 2, seed: 4000}\n";
  const std::string small_suite = dir_.path() + "/small-suite.yaml";
  std::ofstream(small_suite)
      << "name: small\nfamilies:\n  - {family: highway, count: 3, seed: 1000}\n"
         "  - {family: lead_brake, count: 3, seed: 5000}\n";
  const std::string tuned = dir_.path() + "/finetuned";
  auto finetune = testing::RunCommand({TARMAC_BINARY,    "finetune",
                                       "--from",         run_ + "/checkpoints",
                                       "--focus",        focus,
                                       "--minutes",      "0",
                                       "--config",       config_,
                                       "--out",          tuned,
                                       "--set",          "train.updates=40",
                                       "--set",          "finetune.dagger_rounds=1",
                                       "--set",          "finetune.dagger_steps=2000",
                                       "--set",          "finetune.dagger_updates=50",
                                       "--set",          "train.suite=" + small_suite,
                                       "--set",          "finetune.gate=",
                                       "--metrics-port", "0"},
                                      std::chrono::minutes(5));
  ASSERT_TRUE(finetune.ok()) << finetune.status();
  ASSERT_EQ(finetune->exit_code, 0) << finetune->err << finetune->out;
  const std::string tuned_log = Read(tuned + "/train.log");
  EXPECT_THAT(tuned_log, HasSubstr("finetune: from " + run_ + "/checkpoints/"));
  EXPECT_THAT(tuned_log, HasSubstr("of the focus cases"));
  EXPECT_THAT(tuned_log, HasSubstr("anchored to " + run_ + "/checkpoints/"));
  EXPECT_THAT(tuned_log, ::testing::Not(HasSubstr("behaviour-cloning updates on `demos`")));
  const json tuned_report = json::parse(Read(tuned + "/report.json"));
  EXPECT_EQ(tuned_report["episodes"].size(), 6U);
  EXPECT_GT(tuned_report["scenario_sources"]["focus"].get<std::uint64_t>(), 0U);
  EXPECT_GT(tuned_report["scenario_sources"]["env"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(json::parse(Read(tuned + "/focus/report.json"))["episodes"].size(), 2U);
  for (const char* label : {"focus", "suite"}) {
    const json verified = json::parse(Read(tuned + "/verify/" + label + "/compare.json"));
    EXPECT_FALSE(verified.empty()) << label;
    EXPECT_TRUE(fs::is_regular_file(tuned + "/verify/" + label + "/compare.html")) << label;
  }
  EXPECT_THAT(finetune->out, HasSubstr("verify cut-in-cases (A: start"));
  EXPECT_EQ(json::parse(Read(tuned + "/state.json"))["phase"], "done");
  // The focus cases' labels are in `demos`, tagged DAgger and focus.
  {
    testing::RedisServer::Options options;
    options.dir = tuned + "/replay";
    options.extra_args = {"--appendonly", "yes"};
    auto server = testing::RedisServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    const std::string focus_tag = std::to_string(std::uint64_t{1} << 30);
    auto sampled = (*server)->Run({"REPLAY.SAMPLE", "demos", "8", "TAGS", focus_tag, "1"});
    ASSERT_TRUE(sampled && sampled->type == REDIS_REPLY_ARRAY && sampled->elements == 10U)
        << (sampled && sampled->type == REDIS_REPLY_ERROR ? sampled->str : "no reply");
    for (std::size_t i = 2; i < sampled->elements; ++i) {
      const redisReply* item = sampled->element[i];
      ASSERT_EQ(item->elements, 8U);
      const std::uint64_t tags = static_cast<std::uint64_t>(item->element[7]->integer);
      EXPECT_EQ(tags >> 30, 3U) << "focus and DAgger tags, got " << tags;
    }
  }
  // A focus suite without cases, and a start of another architecture, are refused the same way.
  const std::string empty_focus = dir_.path() + "/empty-focus.yaml";
  std::ofstream(empty_focus) << "name: nothing\nfamilies: []\n";
  const std::string refused_dir = dir_.path() + "/refused";
  for (const auto& [args, error] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--focus", empty_focus}, "empty-focus.yaml"},
           {{"--focus", focus, "--set", "learner.hidden_units=32"}, "was written for networks"},
       }) {
    std::vector<std::string> argv = {TARMAC_BINARY, "finetune",  "--config", config_,
                                     "--out",       refused_dir, "--from",   run_ + "/checkpoints"};
    argv.insert(argv.end(), args.begin(), args.end());
    ExpectRefused(argv, error, refused_dir);
  }
  // A reward A/B: two fine-tunings from the same start and seeds under the two reward files,
  // then their comparison with a row per reward term.
  const std::string reward_a = dir_.path() + "/reward-a.yaml";
  const std::string reward_b = dir_.path() + "/reward-b.yaml";
  std::ofstream(reward_a) << "env:\n  reward:\n    comfort: 0\n";
  std::ofstream(reward_b) << "env:\n  reward:\n    comfort: 5\n";
  const std::string ab = dir_.path() + "/ab";
  auto ab_run = testing::RunCommand({TARMAC_BINARY,    "finetune",
                                     "--from",         run_ + "/checkpoints",
                                     "--focus",        focus,
                                     "--minutes",      "0",
                                     "--config",       config_,
                                     "--out",          ab,
                                     "--reward-a",     reward_a,
                                     "--reward-b",     reward_b,
                                     "--set",          "train.updates=20",
                                     "--set",          "finetune.dagger_rounds=0",
                                     "--set",          "train.suite=" + small_suite,
                                     "--set",          "finetune.gate=",
                                     "--metrics-port", "0"},
                                    std::chrono::minutes(6));
  ASSERT_TRUE(ab_run.ok()) << ab_run.status();
  ASSERT_EQ(ab_run->exit_code, 0) << ab_run->err << ab_run->out;
  for (const char* arm : {"a", "b"}) {
    EXPECT_EQ(json::parse(Read(ab + "/" + arm + "/state.json"))["phase"], "done") << arm;
  }
  EXPECT_THAT(Read(ab + "/a/config.yaml"), HasSubstr("comfort: 0"));
  EXPECT_THAT(Read(ab + "/b/config.yaml"), HasSubstr("comfort: 5"));
  EXPECT_THAT(ab_run->out, HasSubstr("reward.comfort"));
  const json ab_suite = json::parse(Read(ab + "/ab/suite/compare.json"));
  EXPECT_TRUE(ab_suite["families"].back()["quantities"].contains("reward.comfort"));
  EXPECT_TRUE(fs::is_regular_file(ab + "/ab/focus/compare.html"));
  // tarmac train refuses to continue it.
  auto wrong = testing::RunCommand({TARMAC_BINARY, "train", "--resume", tuned});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 2);
  EXPECT_EQ(wrong->err, "tarmac: " + tuned +
                            " holds a tarmac finetune run; continue it with "
                            "tarmac finetune --resume " +
                            tuned + ".\n");
}

TEST_F(TrainTest, Kill9MidRunThenResumeContinuesWithoutLossOrDoubleCounting) {
  auto train = testing::Subprocess::Start({TARMAC_BINARY, "train", "--minutes", "1.5", "--config",
                                           config_, "--out", run_, "--metrics-port", "0"},
                                          dir_.path() + "/stdout.log");
  ASSERT_TRUE(train.ok()) << train.status();
  // Into RL, with a checkpoint written after SFT and training episodes on the curve.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  bool in_rl = false;
  while (!in_rl && train->Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const std::string log = Read(run_ + "/train.log");
    const std::string state = Read(run_ + "/state.json");
    const std::regex written("checkpoint \\S+ written");
    const auto checkpoints_written = std::distance(
        std::sregex_iterator(log.begin(), log.end(), written), std::sregex_iterator());
    in_rl = state.find("\"rl\"") != std::string::npos &&
            checkpoints_written >= 2 &&  // SFT's and one during RL
            !Read(run_ + "/curve.jsonl").empty();
  }
  ASSERT_TRUE(in_rl) << Read(run_ + "/train.log");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string log_before = Read(run_ + "/train.log");
  const pid_t redis = RedisPid(log_before);
  ASSERT_GT(redis, 0);
  kill(train->pid(), SIGKILL);
  ASSERT_TRUE(train->Wait(std::chrono::seconds(10)).ok());
  // The embedded Redis follows its parent (and flushes its AOF).
  ASSERT_TRUE(WaitGone(redis, std::chrono::seconds(15)));

  const std::string checkpoints = run_ + "/checkpoints";
  std::uint64_t step_before = 0;
  for (const auto& e : fs::directory_iterator(checkpoints)) {
    step_before =
        std::max<std::uint64_t>(step_before, std::stoull(e.path().stem().string().substr(5)));
  }
  ASSERT_GT(step_before, 400U) << "no RL checkpoint before the kill";
  const ReplayContent before = ReadReplay(run_ + "/replay");
  EXPECT_GT(before.inserts, 0U);
  EXPECT_EQ(before.produced, before.inserts) << "an acknowledged insert was lost or doubled";

  auto resumed = testing::RunCommand({TARMAC_BINARY, "train", "--resume", run_, "--minutes", "1.5",
                                      "--config", config_, "--metrics-port", "0"},
                                     std::chrono::minutes(4));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->exit_code, 0) << resumed->err << resumed->out;
  const std::string log = Read(run_ + "/train.log");
  const std::string resumed_log = log.substr(log_before.size());
  EXPECT_THAT(resumed_log, HasSubstr("resumed at phase rl"));
  EXPECT_THAT(resumed_log, HasSubstr("resumed from " + checkpoints));
  EXPECT_THAT(resumed_log, HasSubstr("train: done"));

  // The replay survived, and every transition is in it once: the writers' acknowledged counts
  // add up to exactly the table's inserts.
  const ReplayContent after = ReadReplay(run_ + "/replay");
  EXPECT_GE(after.inserts, before.inserts);
  EXPECT_EQ(after.produced, after.inserts);
  // The curve counts env steps from the replay: never backwards, never beyond what it holds.
  const json report = json::parse(Read(run_ + "/report.json"));
  std::uint64_t last = 0;
  for (const auto& p : report["curve"]) {
    EXPECT_GE(p["env_steps"].get<std::uint64_t>(), last);
    last = p["env_steps"].get<std::uint64_t>();
  }
  EXPECT_LE(last, after.inserts);
  std::uint64_t step_after = 0;
  for (const auto& e : fs::directory_iterator(checkpoints)) {
    step_after =
        std::max<std::uint64_t>(step_after, std::stoull(e.path().stem().string().substr(5)));
  }
  EXPECT_GT(step_after, step_before);

  // A finished run resumed again says so and changes nothing (no second evaluation).
  const std::string finished_log = Read(run_ + "/train.log");
  const std::string finished_report = Read(run_ + "/report.json");
  auto again =
      testing::RunCommand({TARMAC_BINARY, "train", "--resume", run_}, std::chrono::seconds(30));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->exit_code, 0) << again->err;
  EXPECT_EQ(again->out, "train: the run in " + run_ + " has finished; its report is " + run_ +
                            "/report.html\n");
  EXPECT_EQ(Read(run_ + "/train.log"), finished_log);
  EXPECT_EQ(Read(run_ + "/report.json"), finished_report);
}

}  // namespace
}  // namespace tarmac::cli
