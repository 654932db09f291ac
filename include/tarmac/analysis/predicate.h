#ifndef TARMAC_ANALYSIS_PREDICATE_H_
#define TARMAC_ANALYSIS_PREDICATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::analysis {

// The summary metrics an expression may name besides the behaviour metrics.
inline constexpr const char* kSummaryNames[] = {"score", "progress_ratio", "speed_compliance"};

// A compiled expression over behaviour metrics: numbers, metric names, + - * /, comparisons
// (< <= > >= == !=), and / or / not, parentheses. Flag metrics (collision, braked, ...) are
// booleans; the others numbers. Immutable and thread-safe after Parse.
class Expression {
 public:
  // InvalidArgument naming the offending token and what was expected: an unknown metric (with
  // the nearest known name), a type error ("'and' needs booleans, but min_ttc_s is a number"),
  // or bad syntax.
  static absl::StatusOr<Expression> Parse(absl::string_view text);

  bool is_boolean() const;
  // The value over `metrics` (and `summary` for kSummaryNames); booleans read 1 or 0. O(size).
  double Evaluate(const MetricValues& metrics, const schemas::EpisodeSummary& summary) const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_PREDICATE_H_
