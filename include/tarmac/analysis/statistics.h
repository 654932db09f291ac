#ifndef TARMAC_ANALYSIS_STATISTICS_H_
#define TARMAC_ANALYSIS_STATISTICS_H_

#include <cstdint>
#include <vector>

namespace tarmac::analysis {

struct Interval {
  double estimate = 0.0;
  double low = 0.0;
  double high = 0.0;
  bool Contains(double x) const { return low <= x && x <= high; }
};

// The 95 % Wilson score interval of a proportion: `successes` of `trials` (0 trials: [0, 1]).
Interval WilsonInterval(std::uint64_t successes, std::uint64_t trials);

// A 95 % interval of a Poisson rate: `count` events over `exposure` units, scaled by `per`
// (e.g. events per 1000 km: exposure in km, per 1000). Byar's approximation; exact at 0.
Interval PoissonRateInterval(std::uint64_t count, double exposure, double per = 1.0);

// The mean of the paired differences b[i] - a[i] with a 95 % percentile bootstrap interval:
// `resamples` resamples of the pairs drawn with std::mt19937_64 seeded by `seed` (the same
// inputs give the same interval). a and b have the same size; O(resamples * n).
Interval PairedBootstrap(const std::vector<double>& a, const std::vector<double>& b,
                         int resamples = 2000, std::uint64_t seed = 1);

// Exact two-sided McNemar test on paired yes/no outcomes: p-value of the discordant pairs
// (only_a: a yes and b no; only_b: the reverse) under "a and b are equally likely".
double McNemarPValue(std::uint64_t only_a, std::uint64_t only_b);

// Exact two-sided sign test of the paired differences b[i] - a[i] (ties dropped).
double SignTestPValue(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_STATISTICS_H_
