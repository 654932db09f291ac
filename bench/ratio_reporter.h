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
// drift, ratios much less). Pairs are {benchmark name, baseline name}. `rate_pairs` compare
// items per second instead (for benchmarks whose iterations hold different amounts of work).
// Not thread-safe.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::vector<std::pair<std::string, std::string>> pairs,
                         std::vector<std::pair<std::string, std::string>> rate_pairs = {})
      : pairs_(std::move(pairs)), rate_pairs_(std::move(rate_pairs)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        seconds_per_iteration_[run.benchmark_name()] = run.GetAdjustedRealTime();
        auto items = run.counters.find("items_per_second");
        if (items != run.counters.end()) items_per_second_[run.benchmark_name()] = items->second;
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
    for (const auto& [name, baseline] : rate_pairs_) {
      auto a = items_per_second_.find(name);
      auto b = items_per_second_.find(baseline);
      if (a == items_per_second_.end() || b == items_per_second_.end()) continue;
      std::printf("items/s ratio %s / %s = %.2f\n", name.c_str(), baseline.c_str(),
                  a->second / b->second);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::vector<std::pair<std::string, std::string>> rate_pairs_;
  std::map<std::string, double> seconds_per_iteration_;
  std::map<std::string, double> items_per_second_;
};

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_RATIO_REPORTER_H_
