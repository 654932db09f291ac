#ifndef TARMAC_LEARNER_SMALL_ATTENTION_H_
#define TARMAC_LEARNER_SMALL_ATTENTION_H_

// Private to learner/: scaled dot-product attention for many short sequences.

#include <torch/torch.h>

namespace tarmac::learner {

// softmax(q k^T) v for each of n independent sequences: q, k, v [n, tokens, head_dim] (q
// already scaled), out [n, tokens, head_dim]; differentiable in all three. A scene transformer
// attends over ~14 tokens of 8-16 dims per head, thousands of times per batch: LibTorch's bmm
// makes one BLAS call per sequence there (~7 us each on this machine's BLIS, most of a
// training update), so on the CPU this runs one fused loop per sequence, in parallel over
// sequences, with a hand-written backward. Float32 and float64 are computed as they are, other
// types (bfloat16 under autocast) in float32 and returned in their own type; tensors on other
// devices take LibTorch's matmul and softmax.
torch::Tensor SmallAttention(const torch::Tensor& q, const torch::Tensor& k,
                             const torch::Tensor& v);

// The same through LibTorch's matmul and softmax: the reference SmallAttention is tested against.
torch::Tensor ReferenceAttention(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_SMALL_ATTENTION_H_
