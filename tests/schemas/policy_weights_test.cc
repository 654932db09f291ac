#include "tarmac/schemas/policy_weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tarmac/schemas/transition.h"

namespace tarmac::schemas {
namespace {

using ::testing::HasSubstr;

std::string FloatBytes(std::initializer_list<float> values) {
  std::string out(values.size() * sizeof(float), '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

PolicyWeights SmallPolicy() {
  PolicyWeights w;
  w.version = 17;
  w.learner_step = 170000;
  w.architecture = {"sac_mlp", 3, 2, {4, 4}, "relu"};
  w.tensors.push_back(
      {"actor.0.weight", {2, 3}, DType::kFloat32, FloatBytes({1, 2, 3, 4, std::nanf("7"), -0.0F})});
  w.tensors.push_back({"actor.0.bias", {2}, DType::kFloat32, FloatBytes({0.5F, -0.5F})});
  w.tensors.push_back({"obs_norm.count", {}, DType::kInt64, std::string(8, '\x01')});
  w.tensors.push_back({"empty", {0, 5}, DType::kFloat16, ""});
  w.created_unix_ms = 1795000000000;
  return w;
}

TEST(PolicyWeightsTest, RoundTripKeepsTensorsBitExactAndVerifiesChecksum) {
  const PolicyWeights w = SmallPolicy();
  absl::StatusOr<std::string> bytes = EncodePolicyWeights(w);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->version, w.version);
  EXPECT_EQ(decoded->learner_step, w.learner_step);
  EXPECT_EQ(decoded->architecture, w.architecture);
  EXPECT_EQ(decoded->created_unix_ms, w.created_unix_ms);
  ASSERT_EQ(decoded->tensors.size(), w.tensors.size());
  for (std::size_t i = 0; i < w.tensors.size(); ++i) {
    EXPECT_EQ(decoded->tensors[i].name, w.tensors[i].name);
    EXPECT_EQ(decoded->tensors[i].shape, w.tensors[i].shape);
    EXPECT_EQ(decoded->tensors[i].dtype, w.tensors[i].dtype);
    EXPECT_EQ(decoded->tensors[i].data, w.tensors[i].data);  // byte-exact, NaN payload included
  }
  EXPECT_EQ(PolicyWeightsChecksum(*decoded), PolicyWeightsChecksum(w));
}

TEST(PolicyWeightsTest, EmptyWeightsRoundTrip) {
  absl::StatusOr<std::string> bytes = EncodePolicyWeights(PolicyWeights{});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->tensors.empty());
  EXPECT_TRUE(decoded->architecture.hidden_sizes.empty());
}

TEST(PolicyWeightsTest, FlippedWeightByteIsDataLoss) {
  const PolicyWeights w = SmallPolicy();
  std::string bytes = *EncodePolicyWeights(w);
  const std::string& bias = w.tensors[1].data;
  const std::size_t at = bytes.find(bias);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = static_cast<char>(bytes[at + 1] ^ 0x10);
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("PolicyWeights version 17 is corrupt"));
}

TEST(PolicyWeightsTest, ChecksumCoversEveryField) {
  const std::uint64_t base = PolicyWeightsChecksum(SmallPolicy());
  PolicyWeights w = SmallPolicy();
  w.version++;
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.learner_step++;
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.architecture.hidden_sizes[1] = 5;
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.architecture.activation = "tanh";
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.tensors[0].name = "actor.0.weigh";
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.tensors[0].shape = {3, 2};
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.tensors[3].dtype = DType::kBFloat16;
  EXPECT_NE(PolicyWeightsChecksum(w), base);
  w = SmallPolicy();
  w.created_unix_ms++;
  EXPECT_EQ(PolicyWeightsChecksum(w), base) << "the creation time is metadata, not content";
}

TEST(PolicyWeightsTest, EncodeRefusesInconsistentTensors) {
  PolicyWeights w = SmallPolicy();
  w.tensors[0].data.pop_back();
  absl::StatusOr<std::string> bytes = EncodePolicyWeights(w);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(),
            "PolicyWeights tensor 0 'actor.0.weight' holds 23 bytes but its shape and float32 "
            "dtype need 24");

  w = SmallPolicy();
  w.tensors[1].name = w.tensors[0].name;
  EXPECT_THAT(EncodePolicyWeights(w).status().message(), HasSubstr("two tensors named"));

  w = SmallPolicy();
  w.tensors[3].shape = {-1};
  EXPECT_THAT(EncodePolicyWeights(w).status().message(), HasSubstr("negative dimension -1"));

  w = SmallPolicy();
  w.tensors[2].name.clear();
  EXPECT_THAT(EncodePolicyWeights(w).status().message(), HasSubstr("empty name"));
}

TEST(PolicyWeightsTest, RefusesATransition) {
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(EncodeTransition(Transition{}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "expected a message of type PolicyWeights but the bytes hold type Transition");
}

TEST(PolicyWeightsTest, EveryTruncationIsRefused) {
  const std::string bytes = *EncodePolicyWeights(SmallPolicy());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(DecodePolicyWeights(absl::string_view(bytes.data(), length)).ok()) << length;
  }
}

}  // namespace
}  // namespace tarmac::schemas
