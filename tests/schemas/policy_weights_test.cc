#include "tarmac/schemas/policy_weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

constexpr char kKey[] = "the-fleet-key-0123456789abcdef";

TEST(PolicyWeightsTest, SignedWeightsVerifyOnlyUnderTheirOwnKey) {
  absl::StatusOr<PolicyWeights> decoded =
      DecodePolicyWeights(*EncodePolicyWeights(SmallPolicy(), kKey));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->signature.size(), 32U);
  EXPECT_EQ(decoded->signature, PolicyWeightsSignature(SmallPolicy(), kKey));
  EXPECT_TRUE(VerifyPolicyWeights(*decoded, kKey).ok());
  EXPECT_TRUE(VerifyPolicyWeights(*decoded, "").ok());  // no key: nothing to check
  const absl::Status other = VerifyPolicyWeights(*decoded, "another-key-0123456789abcdef");
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.message(),
            "weights v17 are not signed with this TARMAC_WEIGHTS_KEY; give the learner and the "
            "actors the same key");
}

TEST(PolicyWeightsTest, UnsignedWeightsAreRefusedWhenAKeyIsSet) {
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(*EncodePolicyWeights(SmallPolicy()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->signature.empty());
  const absl::Status s = VerifyPolicyWeights(*decoded, kKey);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "weights v17 are unsigned but TARMAC_WEIGHTS_KEY is set; publish them from a learner "
            "that has the same key");
}

// A writer without the key can recompute the XXH3 checksum of altered weights, and can copy a
// real signature onto them; the HMAC covers every field, so neither passes.
TEST(PolicyWeightsTest, ASignatureCoversEveryFieldTheChecksumDoes) {
  const std::string genuine = PolicyWeightsSignature(SmallPolicy(), kKey);
  std::vector<PolicyWeights> altered(7, SmallPolicy());
  altered[0].version = 18;
  altered[1].learner_step = 1;
  altered[2].architecture.kind = "other";
  altered[3].architecture.hidden_sizes = {4, 5};
  altered[4].tensors[1].data[0] = static_cast<char>(altered[4].tensors[1].data[0] ^ 1);
  altered[5].tensors[0].name = "actor.0.weights";
  altered[6].tensors.pop_back();
  for (std::size_t i = 0; i < altered.size(); ++i) {
    altered[i].signature = genuine;
    EXPECT_NE(PolicyWeightsSignature(altered[i], kKey), genuine) << i;
    EXPECT_EQ(VerifyPolicyWeights(altered[i], kKey).code(), absl::StatusCode::kPermissionDenied)
        << i;
  }
  PolicyWeights same = SmallPolicy();
  same.created_unix_ms = 1;  // not covered, as the checksum
  same.signature = genuine;
  EXPECT_TRUE(VerifyPolicyWeights(same, kKey).ok());
}

TEST(PolicyWeightsTest, TheKeyComesFromTheEnvironmentAndMustBeLongEnough) {
  ASSERT_EQ(unsetenv(kWeightsKeyVariable), 0);
  EXPECT_EQ(*WeightsKeyFromEnvironment(), "");
  ASSERT_EQ(setenv(kWeightsKeyVariable, "short", 1), 0);
  const absl::StatusOr<std::string> short_key = WeightsKeyFromEnvironment();
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(short_key.status().message(),
            "TARMAC_WEIGHTS_KEY is 5 bytes; use at least 16 (e.g. `openssl rand -hex 32`)");
  ASSERT_EQ(setenv(kWeightsKeyVariable, kKey, 1), 0);
  EXPECT_EQ(*WeightsKeyFromEnvironment(), kKey);
  ASSERT_EQ(unsetenv(kWeightsKeyVariable), 0);
}

TEST(PolicyWeightsTest, EveryTruncationIsRefused) {
  const std::string bytes = *EncodePolicyWeights(SmallPolicy());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(DecodePolicyWeights(absl::string_view(bytes.data(), length)).ok()) << length;
  }
}

}  // namespace
}  // namespace tarmac::schemas
