#include "tarmac/learner/training_batch.h"

#include <gtest/gtest.h>

#include <limits>

#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::learner {
namespace {

const BatchShape kShape{3, 2, {-6.0F, -0.5F}, {2.0F, 0.5F}, {}};

schemas::Transition MakeTransition(float base, bool done) {
  schemas::Transition t;
  t.obs = {base, base + 1, base + 2};
  t.next_obs = {base + 3, base + 4, base + 5};
  t.action = {2.0F, -0.25F};
  t.reward = base * 0.5F;
  t.discount = 0.9801F;
  t.done = done;
  t.policy_version = 7;
  return t;
}

buffer::SampleBatch Sample(const std::vector<schemas::Transition>& transitions) {
  buffer::SampleBatch sample;
  std::uint64_t id = 10;
  for (const auto& t : transitions) {
    buffer::SampledItem item;
    item.key = {1, id++};
    item.weight = 0.25;
    item.payload = schemas::EncodeTransition(t);
    sample.items.push_back(item);
  }
  return sample;
}

TEST(TrainingBatchTest, DecodesRowsAndRescalesActions) {
  TrainingBatch batch;
  ASSERT_TRUE(DecodeTrainingBatch(Sample({MakeTransition(1, false), MakeTransition(10, true)}),
                                  kShape, &batch)
                  .ok());
  ASSERT_EQ(batch.size, 2);
  EXPECT_EQ(batch.obs, (std::vector<float>{1, 2, 3, 10, 11, 12}));
  EXPECT_EQ(batch.next_obs, (std::vector<float>{4, 5, 6, 13, 14, 15}));
  EXPECT_FLOAT_EQ(batch.action[0], 1.0F);   // 2 m/s^2 is the top of [-6, 2]
  EXPECT_FLOAT_EQ(batch.action[1], -0.5F);  // -0.25 rad in [-0.5, 0.5]
  EXPECT_FLOAT_EQ(batch.discount[0], 0.9801F);
  EXPECT_FLOAT_EQ(batch.discount[1], 0.0F);  // terminal: no bootstrap
  EXPECT_FLOAT_EQ(batch.reward[1], 5.0F);
  EXPECT_FLOAT_EQ(batch.is_weight[0], 0.25F);
  EXPECT_EQ(batch.keys[1].id, 11U);
  EXPECT_EQ(batch.policy_version[0], 7U);
  EXPECT_FLOAT_EQ(DenormalizeAction(NormalizeAction(-1.3F, -6.0F, 2.0F), -6.0F, 2.0F), -1.3F);
}

TEST(TrainingBatchTest, RefusesForeignPayloadsWrongSizesAndNaNsNamingTheItem) {
  TrainingBatch batch;
  auto foreign = Sample({MakeTransition(1, false)});
  schemas::PolicyWeights weights;
  weights.architecture.kind = "sac_mlp";
  foreign.items[0].payload = *schemas::EncodePolicyWeights(weights);
  auto status = DecodeTrainingBatch(foreign, kShape, &batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("replay item 10"), std::string::npos) << status;

  schemas::Transition wide = MakeTransition(1, false);
  wide.obs.push_back(0);
  wide.next_obs.push_back(0);
  status = DecodeTrainingBatch(Sample({wide}), kShape, &batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("another env"), std::string::npos) << status;

  schemas::Transition nan = MakeTransition(1, false);
  nan.obs[1] = std::numeric_limits<float>::quiet_NaN();
  status = DecodeTrainingBatch(Sample({nan}), kShape, &batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("NaN"), std::string::npos) << status;
}

}  // namespace
}  // namespace tarmac::learner
