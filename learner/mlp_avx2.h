#ifndef TARMAC_LEARNER_MLP_AVX2_H_
#define TARMAC_LEARNER_MLP_AVX2_H_

// The built-in MLP actor's forward pass on Eigen's AVX2/FMA matrix kernels, for the inference
// policy. Built as its own library (libtarmac_mlp_avx2.so, compiled for x86-64-v3) whose
// symbols are all hidden but this entry point, so that none of its AVX2 code can stand in for
// the baseline build's: call it only when the CPU has AVX2 and FMA (CpuHasAvx2Fma in
// network_policy.cc checks).

namespace tarmac::learner::mlp_avx2 {

// One dense layer as LibTorch stores it: weight [outputs, inputs] row-major, bias [outputs].
struct Layer {
  const float* weight = nullptr;
  const float* bias = nullptr;
  int inputs = 0;
  int outputs = 0;
};

// out [rows, last outputs] = the layers applied to x [rows, layers[0].inputs] in turn, ReLU
// between them (not after the last). `scratch` holds 2 * rows * (the widest hidden layer)
// floats. Allocation-free apart from Eigen's packing buffers; thread-safe.
__attribute__((visibility("default"))) void Forward(const Layer* layers, int count, const float* x,
                                                    int rows, float* scratch, float* out);

}  // namespace tarmac::learner::mlp_avx2

#endif  // TARMAC_LEARNER_MLP_AVX2_H_
