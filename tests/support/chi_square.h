#ifndef TARMAC_TESTS_SUPPORT_CHI_SQUARE_H_
#define TARMAC_TESTS_SUPPORT_CHI_SQUARE_H_

#include <cmath>
#include <cstddef>
#include <vector>

namespace tarmac::testing {

struct ChiSquare {
  double statistic = 0.0;
  std::size_t dof = 0;
  double p_value = 0.0;
};

// Pearson's chi-square of observed counts against expected counts (same length, every expected
// count positive; callers keep expected counts >= 5). The p-value uses the Wilson-Hilferty
// normal approximation of the chi-square distribution, accurate to ~1e-3 for dof >= 10.
inline ChiSquare PearsonChiSquare(const std::vector<double>& observed,
                                  const std::vector<double>& expected) {
  ChiSquare result;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double d = observed[i] - expected[i];
    result.statistic += d * d / expected[i];
  }
  result.dof = observed.size() - 1;
  const double k = static_cast<double>(result.dof);
  const double z =
      (std::cbrt(result.statistic / k) - (1.0 - 2.0 / (9.0 * k))) / std::sqrt(2.0 / (9.0 * k));
  result.p_value = 0.5 * std::erfc(z / std::sqrt(2.0));
  return result;
}

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_SUPPORT_CHI_SQUARE_H_
