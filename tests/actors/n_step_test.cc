#include "tarmac/actors/n_step.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tarmac::actors {
namespace {

// A 4-step episode: observation t is {t}, action t is {10 t}, reward t is t + 1, the per-term
// rewards are {t + 1, 2 (t + 1)}, step 1 carries event bit 0 and step 3 event bit 2.
TransitionScratch RunEpisode(int n, float gamma, bool terminated, bool truncated, int length = 4) {
  NStepAssembler assembler(n, gamma, {"a", "b"});
  TransitionScratch out;
  std::vector<float> obs(1), next(1), action(1), terms(2);
  for (int t = 0; t < length; ++t) {
    obs[0] = static_cast<float>(t);
    next[0] = static_cast<float>(t + 1);
    action[0] = 10.0F * t;
    terms = {static_cast<float>(t + 1), 2.0F * (t + 1)};
    NStepAssembler::Step step;
    step.obs = obs;
    step.action = action;
    step.reward = static_cast<float>(t + 1);
    step.reward_terms = terms;
    step.events = t == 1 ? 1 : (t == 3 ? 4 : 0);
    step.next_obs = next;
    step.terminated = terminated && t == length - 1;
    step.truncated = truncated && t == length - 1;
    step.episode_id = 9;
    step.step = static_cast<std::uint32_t>(t);
    step.policy_version = 100 + t;
    assembler.Add(step, &out);
  }
  return out;
}

TEST(NStepAssemblerTest, TerminalEpisodeMatchesTheHandComputedReturns) {
  // n = 3, gamma = 0.9, rewards 1, 2, 3, 4, terminated after step 3.
  const auto out = RunEpisode(3, 0.9F, /*terminated=*/true, false);
  ASSERT_EQ(out.size(), 4U);
  const float expected_reward[] = {1 + 0.9F * 2 + 0.81F * 3, 2 + 0.9F * 3 + 0.81F * 4, 3 + 0.9F * 4,
                                   4};
  const float expected_next[] = {3, 4, 4, 4};
  const int expected_n[] = {3, 3, 2, 1};
  for (int t = 0; t < 4; ++t) {
    SCOPED_TRACE(t);
    EXPECT_EQ(out[t].step, static_cast<std::uint32_t>(t));
    EXPECT_EQ(out[t].obs, std::vector<float>{static_cast<float>(t)});
    EXPECT_EQ(out[t].action, std::vector<float>{10.0F * t});
    EXPECT_NEAR(out[t].reward, expected_reward[t], 1e-5);
    EXPECT_EQ(out[t].next_obs, std::vector<float>{expected_next[t]});
    EXPECT_EQ(out[t].n_steps, expected_n[t]);
    EXPECT_EQ(out[t].policy_version, 100U + t);
    EXPECT_EQ(out[t].episode_id, 9U);
    // Per-term sums: term b is twice term a, with the same discounting.
    ASSERT_EQ(out[t].reward_terms.size(), 2U);
    EXPECT_NEAR(out[t].reward_terms[0].value, expected_reward[t], 1e-5);
    EXPECT_NEAR(out[t].reward_terms[1].value, 2 * expected_reward[t], 1e-5);
  }
  // The first transition stops before the terminal step: it bootstraps.
  EXPECT_FALSE(out[0].done);
  EXPECT_NEAR(out[0].discount, 0.729F, 1e-6);
  for (int t = 1; t < 4; ++t) {
    EXPECT_TRUE(out[t].done);
    EXPECT_EQ(out[t].discount, 0.0F);
  }
  EXPECT_EQ(out[0].events, 1U);  // steps 0..2 include step 1
  EXPECT_EQ(out[1].events, 5U);  // steps 1..3
  EXPECT_EQ(out[3].events, 4U);
}

TEST(NStepAssemblerTest, TruncatedEpisodeBootstrapsWithTheShorterHorizon) {
  const auto out = RunEpisode(3, 0.9F, false, /*truncated=*/true);
  ASSERT_EQ(out.size(), 4U);
  const float expected_discount[] = {0.729F, 0.729F, 0.81F, 0.9F};
  for (int t = 0; t < 4; ++t) {
    SCOPED_TRACE(t);
    EXPECT_FALSE(out[t].done);
    EXPECT_EQ(out[t].truncated, t >= 1);
    EXPECT_NEAR(out[t].discount, expected_discount[t], 1e-6);
  }
  EXPECT_NEAR(out[2].reward, 3 + 0.9F * 4, 1e-5);
  EXPECT_EQ(out[3].next_obs, std::vector<float>{4});
}

TEST(NStepAssemblerTest, OneStepTransitionsAreThePlainOnes) {
  const auto out = RunEpisode(1, 0.5F, false, false, 3);
  ASSERT_EQ(out.size(), 3U);
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(out[t].reward, static_cast<float>(t + 1));
    EXPECT_EQ(out[t].discount, 0.5F);
    EXPECT_EQ(out[t].next_obs, std::vector<float>{static_cast<float>(t + 1)});
  }
}

TEST(NStepAssemblerTest, TruncateEmitsThePendingWindowAndClearDropsIt) {
  NStepAssembler assembler(5, 0.9F, {});
  TransitionScratch out;
  std::vector<float> obs{0}, action{0};
  NStepAssembler::Step step;
  step.obs = obs;
  step.action = action;
  step.next_obs = obs;
  step.reward = 1;
  for (int t = 0; t < 3; ++t) assembler.Add(step, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(assembler.pending(), 3U);
  const std::vector<float> last{7};
  assembler.Truncate(last, &out);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_TRUE(out[0].truncated);
  EXPECT_NEAR(out[0].reward, 1 + 0.9F + 0.81F, 1e-5);
  EXPECT_EQ(out[2].next_obs, last);
  assembler.Add(step, &out);
  assembler.Clear();
  EXPECT_EQ(assembler.pending(), 0U);
}

// One assembler across many episodes of random lengths and endings (its window wraps around at
// every offset): each step's transition equals the n-step sums worked out from the whole
// episode afterwards.
TEST(NStepAssemblerTest, ManyEpisodesInOneAssemblerMatchSumsOverTheWholeEpisode) {
  constexpr int kN = 3;
  constexpr float kGamma = 0.9F;
  NStepAssembler assembler(kN, kGamma, {"a"});
  std::mt19937 rng(8);
  TransitionScratch out;  // reused: each episode's transitions overwrite the last one's
  int checked = 0;
  for (std::uint64_t episode = 1; episode <= 200; ++episode) {
    const int length = 1 + static_cast<int>(rng() % 9);
    const bool terminated = rng() % 2 == 0;
    std::vector<float> rewards(length);
    for (float& r : rewards) r = static_cast<float>(rng() % 100) / 10.0F;
    out.Clear();
    for (int t = 0; t < length; ++t) {
      const std::vector<float> obs{static_cast<float>(t)}, next{static_cast<float>(t + 1)};
      const std::vector<float> action{0.0F}, terms{2.0F * rewards[t]};
      NStepAssembler::Step step;
      step.obs = obs;
      step.action = action;
      step.reward = rewards[t];
      step.reward_terms = terms;
      step.events = 1ULL << (t % 4);
      step.next_obs = next;
      step.terminated = terminated && t == length - 1;
      step.truncated = !terminated && t == length - 1;
      step.episode_id = episode;
      step.step = static_cast<std::uint32_t>(t);
      assembler.Add(step, &out);
    }
    ASSERT_EQ(out.size(), static_cast<std::size_t>(length)) << "episode " << episode;
    EXPECT_EQ(assembler.pending(), 0U);
    for (int t = 0; t < length; ++t) {
      const schemas::Transition& tr = out[t];
      const int k = std::min(kN, length - t);
      double reward = 0, scale = 1;
      std::uint64_t events = 0;
      for (int j = 0; j < k; ++j) {
        reward += scale * rewards[t + j];
        scale *= kGamma;
        events |= 1ULL << ((t + j) % 4);
      }
      EXPECT_EQ(tr.episode_id, episode);
      EXPECT_EQ(tr.step, static_cast<std::uint32_t>(t));
      EXPECT_EQ(tr.obs, std::vector<float>{static_cast<float>(t)});
      EXPECT_EQ(tr.next_obs, std::vector<float>{static_cast<float>(t + k)});
      EXPECT_EQ(tr.n_steps, k);
      EXPECT_NEAR(tr.reward, reward, 1e-4);
      EXPECT_NEAR(tr.reward_terms[0].value, 2 * reward, 2e-4);
      EXPECT_EQ(tr.events, events);
      const bool ends_episode = t + k == length;
      EXPECT_EQ(tr.done, terminated && ends_episode);
      EXPECT_NEAR(tr.discount, terminated && ends_episode ? 0.0 : std::pow(kGamma, k), 1e-6);
      ++checked;
    }
  }
  EXPECT_GT(checked, 600);
}

}  // namespace
}  // namespace tarmac::actors
