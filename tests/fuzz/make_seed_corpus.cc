// Writes the seed corpus of every decoder fuzz target: valid messages of each type (empty,
// typical, NaN-laden, large) under OUT_DIR/<target>/, plus a few messages of the other types.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tarmac/schemas/episode_log.h"
#include "tarmac/schemas/episode_summary.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/scenario_set.h"
#include "tarmac/schemas/transition.h"

namespace {

namespace fs = std::filesystem;
using namespace tarmac::schemas;  // NOLINT(google-build-using-namespace): a small program

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

Transition TypicalTransition(int obs_dim) {
  Transition t;
  for (int i = 0; i < obs_dim; ++i) {
    t.obs.push_back(0.1F * static_cast<float>(i));
    t.next_obs.push_back(0.1F * static_cast<float>(i) + 0.05F);
  }
  t.action = {1.2F, -0.03F};
  t.reward = 0.8F;
  t.discount = 0.99F * 0.99F * 0.99F;
  t.reward_terms = {{"progress", 0.9}, {"comfort", -0.1}};
  t.events = EventBit(Event::kNearMiss);
  t.policy_version = 12;
  t.actor_id = "actor-0";
  t.episode_id = 5;
  t.step = 40;
  t.n_steps = 3;
  t.scenario = "cut_in";
  return t;
}

PolicyWeights TypicalWeights() {
  PolicyWeights w;
  w.version = 3;
  w.learner_step = 3000;
  w.architecture = {"sac_mlp", 4, 2, {8}, "relu"};
  std::vector<float> weight(8 * 4, 0.25F);
  w.tensors.push_back(
      {"actor.0.weight",
       {8, 4},
       DType::kFloat32,
       std::string(reinterpret_cast<const char*>(weight.data()), weight.size() * sizeof(float))});
  w.tensors.push_back({"step", {}, DType::kInt64, std::string(8, '\0')});
  return w;
}

EpisodeSummary TypicalSummary() {
  EpisodeSummary s;
  s.scenario = "lead_brake";
  s.seed = 77;
  s.env_name = "highway";
  s.steps = 200;
  s.episode_return = 31.5;
  s.term_returns = {{"progress", 40}, {"ttc", -8.5}};
  s.events = {{Event::kHardBrake, 101, 150.0F, 149.0F, 1.8F}};
  s.metrics = {{"score", 0.87}};
  s.outcome = Outcome::kTimeLimit;
  s.distance_m = 410.0;
  return s;
}

EpisodeLog TypicalLog(int steps) {
  EpisodeLog log;
  log.env_name = "eval";
  log.scenario = "cut_in";
  log.seed = 12;
  log.env_config = {{"env.scenario.cut_in_gap", {"8", "20"}}, {"env.reward.progress", {"1"}}};
  log.parameters = {{"cut_in_gap", 11.5}};
  log.policy = "expert";
  log.reward_terms = {"progress", "ttc"};
  for (int i = 0; i < steps; ++i) {
    LoggedStep step;
    step.ego.x = i * 2.5;
    step.ego.speed = 25.0;
    step.action = {0.1F, -0.02F};
    step.reward_terms = {0.5F, -0.1F};
    step.events = i == 3 ? 1U : 0U;
    step.leader_id = 4;
    step.leader_gap = 20.0F;
    step.vehicles = {{4, 30.0F, 0.0F, 0.0F, 22.0F, 30.0F, 0.0F, 0, 4.8F, 1.9F}};
    log.steps.push_back(step);
  }
  log.summary = TypicalSummary();
  return log;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seed_corpus OUT_DIR\n";
    return 2;
  }
  const fs::path out(argv[1]);

  Transition nan_transition = TypicalTransition(4);
  nan_transition.obs[1] = std::nanf("1");
  nan_transition.reward = -INFINITY;
  Write(out / "transition", "empty", EncodeTransition(Transition{}));
  Write(out / "transition", "typical", EncodeTransition(TypicalTransition(16)));
  Write(out / "transition", "nan", EncodeTransition(nan_transition));
  Write(out / "transition", "wide", EncodeTransition(TypicalTransition(200)));
  Write(out / "transition", "summary", EncodeEpisodeSummary(TypicalSummary()));

  Write(out / "transition_batch", "empty", EncodeTransitionBatch({}));
  Write(out / "transition_batch", "three",
        EncodeTransitionBatch({TypicalTransition(4), nan_transition, Transition{}}));
  Write(out / "transition_batch", "single", EncodeTransition(TypicalTransition(4)));

  Write(out / "policy_weights", "empty", *EncodePolicyWeights(PolicyWeights{}));
  Write(out / "policy_weights", "typical", *EncodePolicyWeights(TypicalWeights()));
  Write(out / "policy_weights", "transition", EncodeTransition(TypicalTransition(4)));

  Write(out / "episode_summary", "empty", EncodeEpisodeSummary(EpisodeSummary{}));
  Write(out / "episode_summary", "typical", EncodeEpisodeSummary(TypicalSummary()));
  Write(out / "episode_summary", "weights", *EncodePolicyWeights(TypicalWeights()));

  const std::string log = EncodeEpisodeLog(TypicalLog(40));
  Write(out / "episode_log", "empty", EncodeEpisodeLog(EpisodeLog{}));
  Write(out / "episode_log", "typical", log);
  Write(out / "episode_log", "truncated", log.substr(0, log.size() / 2));
  Write(out / "episode_log", "uncompressed", EncodeEpisodeSummary(TypicalSummary()));

  ScenarioRecord scenario;
  scenario.name = "cut_in";
  scenario.family = "cut_in";
  scenario.segments = {{1340.0, 0.0}};
  scenario.lanes = {{0, 0.0, 1340.0}, {1, 0.0, 1340.0}};
  scenario.agents = {ScenarioAgent{}, ScenarioAgent{}};
  scenario.logged = {ScenarioAgent{}};
  scenario.logged[0].track = 0;
  scenario.manoeuvres = {{1, 0, 0.0, 0.0, 12.0, 1}};
  scenario.tracks = {{true, {0.0, 0.1}, {10.0, 12.0}, {0.0, 0.0}, {20.0, 20.0}}};
  scenario.ego_track = {false, {0.0, 0.1}, {60.0, 62.5}, {3.6, 3.6}, {25.0, 25.0}};
  const std::string set = EncodeScenarioSet({scenario, scenario});
  Write(out / "scenario_set", "empty", EncodeScenarioSet({}));
  Write(out / "scenario_set", "typical", set);
  Write(out / "scenario_set", "truncated", set.substr(0, set.size() / 2));
  Write(out / "scenario_set", "summary", EncodeEpisodeSummary(TypicalSummary()));

  // Command sequences: arbitrary bytes steer the command and argument choices.
  for (int seed = 0; seed < 8; ++seed) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>((i * 131 + seed * 17) % 251));
    Write(out / "replay_commands", "sequence-" + std::to_string(seed), bytes);
  }

  std::cout << "seed corpus written to " << out.string() << "\n";
  return 0;
}
