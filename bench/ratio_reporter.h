#ifndef TARMAC_BENCH_RATIO_REPORTER_H_
#define TARMAC_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tarmac::bench {

// Console reporter that also prints, after the run, each benchmark's time as a ratio to a
// baseline measured in the same process (the machine is shared and noisy: absolute numbers
// drift, ratios much less). Pairs are {benchmark name, baseline name}. Not thread-safe.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::vector<std::pair<std::string, std::string>> pairs)
      : pairs_(std::move(pairs)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        seconds_per_iteration_[run.benchmark_name()] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const auto& [name, baseline] : pairs_) {
      auto a = seconds_per_iteration_.find(name);
      auto b = seconds_per_iteration_.find(baseline);
      if (a == seconds_per_iteration_.end() || b == seconds_per_iteration_.end()) continue;
      std::printf("ratio %s / %s = %.2f\n", name.c_str(), baseline.c_str(), a->second / b->second);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::map<std::string, double> seconds_per_iteration_;
};

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_RATIO_REPORTER_H_
