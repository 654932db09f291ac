#ifndef TARMAC_SCHEMAS_EPISODE_SUMMARY_H_
#define TARMAC_SCHEMAS_EPISODE_SUMMARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/schemas/decode_limits.h"
#include "tarmac/schemas/event.h"
#include "tarmac/schemas/named_value.h"

namespace tarmac::schemas {

// How an episode ended; ordinals equal tarmac::wire::Outcome.
enum class Outcome : std::uint8_t {
  kTimeLimit = 0,
  kCompleted = 1,
  kCollision = 2,
  kOffRoad = 3,
  kAborted = 4,
};

absl::string_view OutcomeName(Outcome outcome);

// One event where and when it happened.
struct EventOccurrence {
  Event event = Event::kCollision;
  std::uint32_t step = 0;
  float s = 0.0F;  // Frenet arc length along the route, m
  float x = 0.0F;  // world position, m
  float y = 0.0F;
};

// What happened in one episode (schemas/episode_summary.capnp documents each field).
struct EpisodeSummary {
  std::string scenario;
  std::uint64_t seed = 0;
  std::string env_name;
  std::string actor_id;
  std::uint64_t episode_id = 0;
  std::uint64_t policy_version = 0;
  std::uint32_t steps = 0;
  double episode_return = 0.0;
  std::vector<NamedValue> term_returns;
  std::vector<EventOccurrence> events;
  std::vector<NamedValue> metrics;
  Outcome outcome = Outcome::kTimeLimit;
  double distance_m = 0.0;
};

inline DecodeLimits EpisodeSummaryLimits() {
  return DecodeLimits::ForMaxBytes(kMaxEpisodeSummaryBytes);
}

// The value of the metric called `name`, or `fallback` when the summary has none. O(metrics).
double MetricOr(const EpisodeSummary& summary, absl::string_view name, double fallback = 0.0);

std::string EncodeEpisodeSummary(const EpisodeSummary& summary);

// Parses untrusted bytes. InvalidArgument for malformed, oversized or foreign messages and for
// event or outcome values this build does not know.
absl::StatusOr<EpisodeSummary> DecodeEpisodeSummary(
    absl::string_view bytes, const DecodeLimits& limits = EpisodeSummaryLimits());

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_EPISODE_SUMMARY_H_
