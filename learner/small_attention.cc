#include "small_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace tarmac::learner {
namespace {

// Sequences per parallel task: enough work (~tokens^2 * head_dim each) to pay for the task.
std::int64_t Grain(std::int64_t tokens, std::int64_t head_dim) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, tokens * tokens * head_dim));
}

// p = softmax(q k^T) per row, out = p v; every array row-major, one sequence after another.
template <typename T>
void AttendForward(const T* q, const T* k, const T* v, T* p, T* out, std::int64_t n, std::int64_t t,
                   std::int64_t d) {
  at::parallel_for(0, n, Grain(t, d), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t s = begin; s < end; ++s) {
      const T* qs = q + s * t * d;
      const T* ks = k + s * t * d;
      const T* vs = v + s * t * d;
      T* ps = p + s * t * t;
      T* os = out + s * t * d;
      for (std::int64_t i = 0; i < t; ++i) {
        T* row = ps + i * t;
        T largest = -std::numeric_limits<T>::infinity();
        for (std::int64_t j = 0; j < t; ++j) {
          T dot = 0;
          for (std::int64_t c = 0; c < d; ++c) dot += qs[i * d + c] * ks[j * d + c];
          row[j] = dot;
          largest = std::max(largest, dot);
        }
        T total = 0;
        for (std::int64_t j = 0; j < t; ++j) {
          row[j] = std::exp(row[j] - largest);
          total += row[j];
        }
        const T inverse = T(1) / total;
        T* o = os + i * d;
        std::fill(o, o + d, T(0));
        for (std::int64_t j = 0; j < t; ++j) {
          row[j] *= inverse;
          for (std::int64_t c = 0; c < d; ++c) o[c] += row[j] * vs[j * d + c];
        }
      }
    }
  });
}

// With s = q k^T and p = softmax(s) per row: dv = p^T dout; dp = dout v^T; ds = p * (dp -
// rowsum(p * dp)); dq = ds k; dk = ds^T q.
template <typename T>
void AttendBackward(const T* q, const T* k, const T* v, const T* p, const T* dout, T* dq, T* dk,
                    T* dv, std::int64_t n, std::int64_t t, std::int64_t d) {
  at::parallel_for(0, n, Grain(t, d), [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> ds(static_cast<std::size_t>(t));
    for (std::int64_t s = begin; s < end; ++s) {
      const std::int64_t base = s * t * d;
      const T* ps = p + s * t * t;
      std::fill(dk + base, dk + base + t * d, T(0));
      std::fill(dv + base, dv + base + t * d, T(0));
      for (std::int64_t i = 0; i < t; ++i) {
        const T* row = ps + i * t;
        const T* g = dout + base + i * d;
        T weighted = 0;
        for (std::int64_t j = 0; j < t; ++j) {
          T dp = 0;
          for (std::int64_t c = 0; c < d; ++c) {
            dp += g[c] * v[base + j * d + c];
            dv[base + j * d + c] += row[j] * g[c];
          }
          ds[static_cast<std::size_t>(j)] = dp;
          weighted += row[j] * dp;
        }
        T* dqi = dq + base + i * d;
        std::fill(dqi, dqi + d, T(0));
        for (std::int64_t j = 0; j < t; ++j) {
          const T dsj = row[j] * (ds[static_cast<std::size_t>(j)] - weighted);
          for (std::int64_t c = 0; c < d; ++c) {
            dqi[c] += dsj * k[base + j * d + c];
            dk[base + j * d + c] += dsj * q[base + i * d + c];
          }
        }
      }
    }
  });
}

std::pair<torch::Tensor, torch::Tensor> Forward(const torch::Tensor& q, const torch::Tensor& k,
                                                const torch::Tensor& v) {
  const std::int64_t n = q.size(0), t = q.size(1), d = q.size(2);
  torch::Tensor p = torch::empty({n, t, t}, q.options());
  torch::Tensor out = torch::empty_like(q);
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "SmallAttention", [&] {
    AttendForward<scalar_t>(q.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
                            p.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), n, t, d);
  });
  return {out, p};
}

struct SmallAttentionFunction : torch::autograd::Function<SmallAttentionFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context, torch::Tensor q,
                               torch::Tensor k, torch::Tensor v) {
    auto [out, p] = Forward(q, k, v);
    context->save_for_backward({q, k, v, p});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list grads) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &p = saved[3];
    const torch::Tensor dout = grads[0].contiguous();
    torch::Tensor dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "SmallAttentionBackward", [&] {
      AttendBackward<scalar_t>(
          q.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
          p.data_ptr<scalar_t>(), dout.data_ptr<scalar_t>(), dq.data_ptr<scalar_t>(),
          dk.data_ptr<scalar_t>(), dv.data_ptr<scalar_t>(), q.size(0), q.size(1), q.size(2));
    });
    return {dq, dk, dv};
  }
};

}  // namespace

torch::Tensor ReferenceAttention(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v) {
  return torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1).matmul(v);
}

torch::Tensor SmallAttention(const torch::Tensor& q, const torch::Tensor& k,
                             const torch::Tensor& v) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(),
              "SmallAttention takes q, k, v of one shape [n, tokens, head_dim]");
  if (!q.device().is_cpu()) return ReferenceAttention(q, k, v);
  const c10::ScalarType type = q.scalar_type();
  if (type != torch::kFloat32 && type != torch::kFloat64) {
    return SmallAttention(q.to(torch::kFloat32), k.to(torch::kFloat32), v.to(torch::kFloat32))
        .to(type);
  }
  const bool differentiate = torch::GradMode::is_enabled() &&
                             (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (!differentiate) return Forward(q.contiguous(), k.contiguous(), v.contiguous()).first;
  return SmallAttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous());
}

}  // namespace tarmac::learner
