#include "tarmac/buffer/replay_protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace tarmac::buffer {
namespace {

TEST(ReplayProtocolTest, EveryCodeRoundTripsThroughItsWord) {
  for (const ReplayErrorCodeName& c : kReplayErrorCodes) {
    EXPECT_FALSE(c.word.empty());
    EXPECT_EQ(ParseReplayErrorCode(std::string(c.word) + " some sentence"), c.code) << c.word;
    EXPECT_EQ(ParseReplayErrorCode(c.word), c.code) << "a bare code: " << c.word;
    EXPECT_EQ(ReplayErrorWord(c.code), c.word);
  }
  EXPECT_EQ(ParseReplayErrorCode("SEQ 12 producer 'w' ..."), ReplayErrorCode::kSequence);
  EXPECT_EQ(ParseReplayErrorCode("RATELIMITED 5"), ReplayErrorCode::kRateLimited);
}

TEST(ReplayProtocolTest, WordsThatAreNotCodesAreUnknown) {
  for (const char* text : {"", "OOM command not allowed", "NOTABLES x", "notable x", "SEQUENCE 1",
                           "LOADING Redis is loading", "READONLY You can't write"}) {
    EXPECT_EQ(ParseReplayErrorCode(text), ReplayErrorCode::kUnknown) << text;
  }
  EXPECT_EQ(ReplayErrorWord(ReplayErrorCode::kUnknown), "");
}

TEST(ReplayProtocolTest, MixtureFactorSumsTheMatchingComponents) {
  const std::uint64_t masks[] = {0, 4, 64};
  const double share[] = {0.5, 0.25, 0.25};
  const double mass[] = {10.0, 2.0, 4.0};
  const auto mask_of = [&](std::size_t k) { return masks[k]; };
  EXPECT_DOUBLE_EQ(MixtureFactor(0, 3, mask_of, share, mass), 0.05);
  EXPECT_DOUBLE_EQ(MixtureFactor(4, 3, mask_of, share, mass), 0.05 + 0.125);
  EXPECT_DOUBLE_EQ(MixtureFactor(4 | 64, 3, mask_of, share, mass), 0.05 + 0.125 + 0.0625);
}

TEST(ReplayProtocolTest, ImportanceWeightsFollowSchaulAndNeverExceedOne) {
  // N = 4 items of masses 1, 2, 3, 4 (total 10): P = m / 10, w = (N P)^-b / max.
  const double beta = 0.4;
  const double max_weight = MaxImportanceWeight(4, 1.0, 1.0 / 10, beta);
  EXPECT_DOUBLE_EQ(max_weight, std::pow(0.4, -beta));
  for (double m : {1.0, 2.0, 3.0, 4.0}) {
    const double w = ImportanceWeight(4, m / 10, beta, max_weight);
    EXPECT_DOUBLE_EQ(w, std::pow(4 * m / 10, -beta) / std::pow(0.4, -beta));
    EXPECT_LE(w, 1.0);
  }
  EXPECT_EQ(ImportanceWeight(4, 0.1, 0.0, max_weight), 1.0);
}

}  // namespace
}  // namespace tarmac::buffer
