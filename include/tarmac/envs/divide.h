#ifndef TARMAC_ENVS_DIVIDE_H_
#define TARMAC_ENVS_DIVIDE_H_

#include <array>

namespace tarmac::envs {

// {a / b, c / d} in one two-lane division: the same quotients as two divisions (IEEE division is
// exact per lane), in about the time of one. The env step does some two hundred divisions and
// is bound by its divider. A GCC/clang vector extension: any target, SIMD where it has it.
inline std::array<double, 2> DividePair(double a, double b, double c, double d) {
  using Pair = double __attribute__((vector_size(16)));
  const Pair q = Pair{a, c} / Pair{b, d};
  return {q[0], q[1]};
}

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_DIVIDE_H_
