#include "tarmac/learner/training_batch.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::learner {

void TrainingBatch::Resize(int n, const BatchShape& shape) {
  size = n;
  const auto rows = static_cast<std::size_t>(n);
  obs.resize(rows * shape.obs_dim);
  next_obs.resize(rows * shape.obs_dim);
  action.resize(rows * shape.action_dim);
  reward.resize(rows);
  discount.resize(rows);
  is_weight.resize(rows);
  keys.resize(rows);
  policy_version.resize(rows);
  tags.resize(rows);
}

float NormalizeAction(float value, float low, float high) {
  const float unit = 2.0F * (value - low) / (high - low) - 1.0F;
  return std::clamp(unit, -1.0F, 1.0F);
}

float DenormalizeAction(float value, float low, float high) {
  return low + (std::clamp(value, -1.0F, 1.0F) + 1.0F) * 0.5F * (high - low);
}

absl::Status DecodeTrainingBatch(const buffer::SampleBatch& sample, const BatchShape& shape,
                                 TrainingBatch* batch) {
  const int n = static_cast<int>(sample.items.size());
  batch->Resize(n, shape);
  const auto obs_dim = static_cast<std::size_t>(shape.obs_dim);
  const auto act_dim = static_cast<std::size_t>(shape.action_dim);
  float physical[8];
  if (act_dim > sizeof(physical) / sizeof(physical[0])) {
    return absl::InvalidArgumentError("the learner supports at most 8 action dimensions");
  }
  for (int i = 0; i < n; ++i) {
    const buffer::SampledItem& item = sample.items[i];
    auto view = schemas::TransitionView::Parse(item.payload);
    if (!view.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("replay item ", item.key.id, " on shard ",
                                                     item.key.shard, ": ",
                                                     view.status().message()));
    }
    if (view->obs_size() != obs_dim || view->action_size() != act_dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("replay item ", item.key.id, " has observations of ", view->obs_size(),
                       " floats and actions of ", view->action_size(), ", but the learner expects ",
                       obs_dim, " and ", act_dim, "; was the table filled by another env?"));
    }
    const std::size_t row = static_cast<std::size_t>(i);
    (void)view->CopyObs(absl::MakeSpan(batch->obs).subspan(row * obs_dim, obs_dim));
    (void)view->CopyNextObs(absl::MakeSpan(batch->next_obs).subspan(row * obs_dim, obs_dim));
    (void)view->CopyAction(absl::MakeSpan(physical, act_dim));
    for (std::size_t d = 0; d < act_dim; ++d) {
      batch->action[row * act_dim + d] =
          NormalizeAction(physical[d], shape.action_low[d], shape.action_high[d]);
    }
    const auto finite = [](absl::Span<const float> values) {
      return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
    };
    if (!finite(absl::MakeConstSpan(batch->obs).subspan(row * obs_dim, obs_dim)) ||
        !finite(absl::MakeConstSpan(batch->next_obs).subspan(row * obs_dim, obs_dim)) ||
        !std::isfinite(view->reward()) || !std::isfinite(view->discount())) {
      return absl::InvalidArgumentError(absl::StrCat("replay item ", item.key.id, " on shard ",
                                                     item.key.shard,
                                                     " holds a NaN or infinite value"));
    }
    batch->reward[row] = view->reward();
    batch->discount[row] = view->done() ? 0.0F : view->discount();
    batch->is_weight[row] = static_cast<float>(item.weight);
    batch->keys[row] = item.key;
    batch->policy_version[row] = view->policy_version();
    batch->tags[row] = item.tags;
  }
  return absl::OkStatus();
}

}  // namespace tarmac::learner
