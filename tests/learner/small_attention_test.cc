// The scene transformer's fused attention (learner/small_attention.h) against LibTorch's matmul
// and softmax, values and gradients; and the transformer actor's layers against LibTorch's
// TransformerEncoderLayer::forward on the same parameters.

#include "small_attention.h"

#include <gtest/gtest.h>

#include <vector>

#include "networks.h"

namespace tarmac::learner {
namespace {

struct Shape {
  std::int64_t n, tokens, head_dim;
};

// Values of out and the gradients of sum(out * weights) in q, k and v.
std::vector<torch::Tensor> ValueAndGradients(bool fused, const std::vector<torch::Tensor>& qkv,
                                             const torch::Tensor& weights) {
  std::vector<torch::Tensor> inputs;
  for (const torch::Tensor& t : qkv) inputs.push_back(t.detach().clone().requires_grad_(true));
  const torch::Tensor out = fused ? SmallAttention(inputs[0], inputs[1], inputs[2])
                                  : ReferenceAttention(inputs[0], inputs[1], inputs[2]);
  (out * weights).sum().backward();
  return {out.detach(), inputs[0].grad(), inputs[1].grad(), inputs[2].grad()};
}

TEST(SmallAttentionTest, ValuesAndGradientsAreTheMatmulSoftmaxOnes) {
  torch::manual_seed(3);
  // One token, odd sizes, and the transformer's own (14 tokens, 16 and 8 dims per head).
  for (const Shape shape : {Shape{7, 1, 3}, Shape{5, 9, 5}, Shape{64, 14, 16}, Shape{33, 14, 8}}) {
    for (const torch::ScalarType type : {torch::kFloat64, torch::kFloat32}) {
      const auto options = torch::TensorOptions().dtype(type);
      std::vector<torch::Tensor> qkv;
      for (int i = 0; i < 3; ++i) {
        qkv.push_back(2.0 * torch::randn({shape.n, shape.tokens, shape.head_dim}, options));
      }
      const torch::Tensor weights = torch::randn({shape.n, shape.tokens, shape.head_dim}, options);
      const auto fused = ValueAndGradients(true, qkv, weights);
      const auto reference = ValueAndGradients(false, qkv, weights);
      // Float64 agrees to rounding; float32 to its own precision: relative to the largest value.
      const double tolerance = type == torch::kFloat64 ? 1e-12 : 1e-5;
      const char* names[] = {"out", "dq", "dk", "dv"};
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(fused[i].scalar_type(), type);
        const double scale = 1.0 + reference[i].abs().max().item<double>();
        EXPECT_LT((fused[i] - reference[i]).abs().max().item<double>() / scale, tolerance)
            << names[i] << " at n " << shape.n << ", tokens " << shape.tokens << ", head_dim "
            << shape.head_dim << ", " << type;
      }
    }
  }
}

TEST(SmallAttentionTest, WithoutGradientsAndInBfloat16ItAgreesToo) {
  torch::manual_seed(4);
  const torch::Tensor q = torch::randn({16, 14, 16}), k = torch::randn({16, 14, 16}),
                      v = torch::randn({16, 14, 16});
  const torch::Tensor reference = ReferenceAttention(q, k, v);
  {
    torch::NoGradGuard no_grad;
    EXPECT_LT((SmallAttention(q, k, v) - reference).abs().max().item<double>(), 2e-5);
  }
  {
    c10::InferenceMode inference;
    EXPECT_LT((SmallAttention(q, k, v) - reference).abs().max().item<double>(), 2e-5);
  }
  const torch::Tensor half =
      SmallAttention(q.to(torch::kBFloat16), k.to(torch::kBFloat16), v.to(torch::kBFloat16));
  EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
  EXPECT_LT((half.to(torch::kFloat32) - reference).abs().max().item<double>(), 0.1);
}

// What TransformerActorImpl::forward computed through LibTorch's own layers (the actor before
// SmallAttention): tokens first, TransformerEncoderLayer::forward, then the ego token and mean.
std::pair<torch::Tensor, torch::Tensor> ThroughLibTorchLayers(TransformerActorImpl& actor,
                                                              const torch::Tensor& obs) {
  const std::int64_t rows = obs.size(0);
  std::vector<torch::Tensor> parts;
  std::int64_t offset = 0;
  for (std::size_t g = 0; g < actor.tokens.size(); ++g) {
    const envs::TokenGroup& group = actor.tokens[g];
    parts.push_back(actor.embed[g]->as<torch::nn::Linear>()->forward(
        obs.narrow(1, offset, static_cast<std::int64_t>(group.count) * group.size)
            .reshape({rows, group.count, group.size})));
    offset += static_cast<std::int64_t>(group.count) * group.size;
  }
  torch::Tensor x = (torch::cat(parts, 1) + actor.position).transpose(0, 1);
  for (const auto& layer : *actor.encoder) {
    x = layer->as<torch::nn::TransformerEncoderLayer>()->forward(x);
  }
  const torch::Tensor out = actor.head->forward(torch::cat({x[0], x.mean(0)}, 1));
  auto halves = out.chunk(2, 1);
  return {halves[0], torch::clamp(halves[1], kLogStdMin, kLogStdMax)};
}

TEST(SmallAttentionTest, TheTransformerActorComputesWhatLibTorchsLayersDo) {
  torch::manual_seed(5);
  const std::vector<envs::TokenGroup> tokens = {
      {"ego", 1, 10}, {"preview", 3, 2}, {"vehicle", 8, 7}, {"leaders", 1, 4}};
  for (const TransformerShape& shape :
       {TransformerShape{64, 2, 4, {256, 256}}, TransformerShape{32, 1, 4, {64, 64}}}) {
    TransformerActorImpl actor(2, tokens, shape);
    const torch::Tensor obs = torch::randn({48, 10 + 6 + 56 + 4});
    const auto [mean, log_std] = actor.forward(obs);
    const auto [reference_mean, reference_log_std] = ThroughLibTorchLayers(actor, obs);
    EXPECT_LT((mean - reference_mean).abs().max().item<double>(), 1e-5) << shape.dim;
    EXPECT_LT((log_std - reference_log_std).abs().max().item<double>(), 1e-5) << shape.dim;
    // And the gradients the optimiser gets, in every parameter.
    actor.zero_grad();
    (mean.sum() + log_std.sum()).backward();
    std::vector<torch::Tensor> fused;
    for (const torch::Tensor& p : actor.parameters()) fused.push_back(p.grad().clone());
    actor.zero_grad();
    const auto reference = ThroughLibTorchLayers(actor, obs);
    (reference.first.sum() + reference.second.sum()).backward();
    const auto parameters = actor.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      EXPECT_LT((fused[i] - parameters[i].grad()).abs().max().item<double>(), 1e-4)
          << "parameter " << i << " of the " << shape.dim << "-wide actor";
    }
  }
}

}  // namespace
}  // namespace tarmac::learner
