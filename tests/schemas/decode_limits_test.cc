#include "tarmac/schemas/decode_limits.h"

#include <gtest/gtest.h>

namespace tarmac::schemas {
namespace {

TEST(DecodeLimitsTest, DefaultsAreValid) {
  EXPECT_TRUE(DecodeLimits{}.Validate().ok());
  EXPECT_TRUE(DecodeLimits::ForMaxBytes(kMaxPolicyWeightsBytes).Validate().ok());
}

TEST(DecodeLimitsTest, ForMaxBytesAllowsEightReadsOfEveryWord) {
  const DecodeLimits limits = DecodeLimits::ForMaxBytes(800);
  EXPECT_EQ(limits.max_message_bytes, 800U);
  EXPECT_EQ(limits.traversal_limit_words, (800U / 8 + 1) * 8);
}

TEST(DecodeLimitsTest, RejectsNonPositiveBounds) {
  DecodeLimits limits;
  limits.max_message_bytes = 0;
  EXPECT_EQ(limits.Validate().code(), absl::StatusCode::kInvalidArgument);
  limits = DecodeLimits{};
  limits.traversal_limit_words = 0;
  EXPECT_EQ(limits.Validate().code(), absl::StatusCode::kInvalidArgument);
  limits = DecodeLimits{};
  limits.nesting_limit = 0;
  EXPECT_EQ(limits.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tarmac::schemas
