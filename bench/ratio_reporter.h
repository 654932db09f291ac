#ifndef TARMAC_BENCH_RATIO_REPORTER_H_
#define TARMAC_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace tarmac::bench {

// Which way a figure improves: bench/compare reads it to call a change better or worse.
enum class Better { kHigher, kLower };

// A headline figure of a benchmark program: a value, or a ratio to a baseline measured in the
// same process (the machine is shared and noisy: absolute numbers drift, ratios much less).
struct Figure {
  std::string name;
  double value = 0.0;
  std::string unit;      // "ratio" for ratios
  std::string baseline;  // ratios: the denominator's name
  Better better = Better::kHigher;
};

namespace internal {
inline std::vector<Figure>& Figures() {
  static std::vector<Figure> figures;
  return figures;
}
// Whether the display is the console table (else json or csv on stdout: the program's own
// lines then go to stderr, so stdout stays parseable).
inline bool& ConsoleDisplay() {
  static bool console = true;
  return console;
}
}  // namespace internal

// The stream for a program's own lines of text: stdout under the console table, else stderr.
inline std::FILE* Out() { return internal::ConsoleDisplay() ? stdout : stderr; }

// Records a headline figure and prints `text` (the sentence a reader sees) to Out().
inline void Headline(std::string name, double value, std::string unit, Better better,
                     const std::string& text) {
  internal::Figures().push_back({std::move(name), value, std::move(unit), {}, better});
  std::fprintf(Out(), "%s\n", text.c_str());
}

// Records a ratio of `name` to `baseline` and prints it as "ratio NAME / BASELINE = R".
inline void Ratio(const std::string& name, const std::string& baseline, double ratio, Better better,
                  const std::string& label = "ratio") {
  internal::Figures().push_back({name, ratio, "ratio", baseline, better});
  std::fprintf(Out(), "%s %s / %s = %.2f\n", label.c_str(), name.c_str(), baseline.c_str(), ratio);
}

// The end of a benchmark program's main: with TARMAC_BENCH_FIGURES=FILE, writes every figure and
// ratio recorded to FILE as JSON ({"figures": [{name, value, unit, baseline, better}]}, better
// being "higher" or "lower"; bench/run --json collects them). Returns main's exit code.
inline int Finish() {
  const char* path = std::getenv("TARMAC_BENCH_FIGURES");
  if (path == nullptr || *path == '\0') return 0;
  nlohmann::json figures = nlohmann::json::array();
  for (const Figure& f : internal::Figures()) {
    nlohmann::json figure = {{"name", f.name},
                             {"unit", f.unit},
                             {"better", f.better == Better::kHigher ? "higher" : "lower"}};
    figure["value"] = std::isfinite(f.value) ? nlohmann::json(f.value) : nlohmann::json();
    if (!f.baseline.empty()) figure["baseline"] = f.baseline;
    figures.push_back(std::move(figure));
  }
  std::ofstream out(path);
  out << nlohmann::json{{"figures", figures}}.dump(1) << "\n";
  if (!out) {
    std::fprintf(stderr, "bench: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

// The display reporter --benchmark_format chose (console, json or csv), and after the run each
// benchmark's time as a ratio to its baseline (lower is better). Pairs are {benchmark name,
// baseline name}; `rate_pairs` compare items per second instead (for benchmarks whose iterations
// hold different amounts of work; higher is better). With --benchmark_repetitions the medians are
// compared. Not thread-safe.
class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RatioReporter(std::vector<std::pair<std::string, std::string>> pairs = {},
                         std::vector<std::pair<std::string, std::string>> rate_pairs = {})
      : display_(benchmark::CreateDefaultDisplayReporter()),
        pairs_(std::move(pairs)),
        rate_pairs_(std::move(rate_pairs)) {
    internal::ConsoleDisplay() = dynamic_cast<benchmark::ConsoleReporter*>(display_) != nullptr;
  }

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if ((run.run_type == Run::RT_Iteration && run.iterations > 0) || median) {
        runs_[run.run_name.str()] = run;
      }
    }
    display_->ReportRuns(runs);
  }

  void Finalize() override {
    display_->Finalize();
    for (const auto& [name, baseline] : pairs_) {
      auto a = runs_.find(name);
      auto b = runs_.find(baseline);
      if (a == runs_.end() || b == runs_.end()) continue;
      Ratio(name, baseline, a->second.GetAdjustedRealTime() / b->second.GetAdjustedRealTime(),
            Better::kLower);
    }
    for (const auto& [name, baseline] : rate_pairs_) {
      const double a = Counter(name, "items_per_second");
      const double b = Counter(baseline, "items_per_second");
      if (std::isnan(a) || std::isnan(b)) continue;
      Ratio(name, baseline, a / b, Better::kHigher, "items/s ratio");
    }
  }

  // A counter of a finished benchmark (its median under repetitions); NaN when absent.
  double Counter(const std::string& benchmark, const std::string& counter) const {
    auto run = runs_.find(benchmark);
    if (run == runs_.end()) return NAN;
    auto it = run->second.counters.find(counter);
    return it == run->second.counters.end() ? NAN : static_cast<double>(it->second);
  }

 private:
  benchmark::BenchmarkReporter* display_;  // the library's, not ours to delete
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::vector<std::pair<std::string, std::string>> rate_pairs_;
  std::map<std::string, Run> runs_;
};

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_RATIO_REPORTER_H_
