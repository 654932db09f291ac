#include "mlp_avx2.h"

#include <Eigen/Core>
#include <algorithm>

namespace tarmac::learner::mlp_avx2 {

void Forward(const Layer* layers, int count, const float* x, int rows, float* scratch, float* out) {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  int widest = 0;
  for (int l = 0; l + 1 < count; ++l) widest = std::max(widest, layers[l].outputs);
  const float* in = x;
  for (int l = 0; l < count; ++l) {
    const Layer& layer = layers[l];
    const bool last = l + 1 == count;
    float* dst = last ? out : scratch + static_cast<std::ptrdiff_t>(l % 2) * rows * widest;
    const Eigen::Map<const Matrix> input(in, rows, layer.inputs);
    const Eigen::Map<const Matrix> weight(layer.weight, layer.outputs, layer.inputs);
    const Eigen::Map<const Eigen::RowVectorXf> bias(layer.bias, layer.outputs);
    Eigen::Map<Matrix> y(dst, rows, layer.outputs);
    // weight^T is a column-major [inputs, outputs] view of the row-major weight: no copy.
    y.noalias() = input * weight.transpose();
    y.rowwise() += bias;
    if (!last) y = y.cwiseMax(0.0F);
    in = dst;
  }
}

}  // namespace tarmac::learner::mlp_avx2
