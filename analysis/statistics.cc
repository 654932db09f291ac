#include "tarmac/analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace tarmac::analysis {
namespace {

constexpr double kZ = 1.959963984540054;  // the standard normal's 97.5 % quantile

// P(X <= k) for X ~ Binomial(n, 1/2), summed in log space (n may be large).
double BinomialHalfCdf(std::uint64_t k, std::uint64_t n) {
  double total = 0.0;
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  for (std::uint64_t i = 0; i <= k; ++i) {
    const double log_choose = std::lgamma(static_cast<double>(n) + 1) -
                              std::lgamma(static_cast<double>(i) + 1) -
                              std::lgamma(static_cast<double>(n - i) + 1);
    total += std::exp(log_choose + log_half_n);
  }
  return std::min(1.0, total);
}

}  // namespace

Interval WilsonInterval(std::uint64_t successes, std::uint64_t trials) {
  if (trials == 0) return {0.0, 0.0, 1.0};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval PoissonRateInterval(std::uint64_t count, double exposure, double per) {
  if (exposure <= 0.0) return {0.0, 0.0, 0.0};
  const double k = static_cast<double>(count);
  const double scale = per / exposure;
  // Byar: lower from k, upper from k + 1; the lower bound at k = 0 is 0, the upper -ln(0.025).
  double low = 0.0;
  if (count > 0) low = k * std::pow(1 - 1 / (9 * k) - kZ / (3 * std::sqrt(k)), 3);
  const double k1 = k + 1;
  const double high =
      count == 0 ? -std::log(0.025) : k1 * std::pow(1 - 1 / (9 * k1) + kZ / (3 * std::sqrt(k1)), 3);
  return {k * scale, low * scale, high * scale};
}

Interval PairedBootstrap(const std::vector<double>& a, const std::vector<double>& b, int resamples,
                         std::uint64_t seed) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n == 0) return {};
  std::vector<double> d(n);
  double mean = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    d[i] = b[i] - a[i];
    mean += d[i];
  }
  mean /= static_cast<double>(n);
  std::mt19937_64 rng(seed);
  std::vector<double> means(static_cast<std::size_t>(std::max(resamples, 1)));
  for (double& m : means) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += d[rng() % n];
    m = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const auto at = [&](double q) {
    const double position = q * static_cast<double>(means.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(position));
    const std::size_t j = std::min(i + 1, means.size() - 1);
    return means[i] + (position - static_cast<double>(i)) * (means[j] - means[i]);
  };
  return {mean, at(0.025), at(0.975)};
}

double McNemarPValue(std::uint64_t only_a, std::uint64_t only_b) {
  const std::uint64_t n = only_a + only_b;
  if (n == 0) return 1.0;
  return std::min(1.0, 2.0 * BinomialHalfCdf(std::min(only_a, only_b), n));
}

double SignTestPValue(const std::vector<double>& a, const std::vector<double>& b) {
  std::uint64_t up = 0, down = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (b[i] > a[i]) ++up;
    if (b[i] < a[i]) ++down;
  }
  return McNemarPValue(up, down);
}

}  // namespace tarmac::analysis
