#ifndef TARMAC_SCHEMAS_EVENT_H_
#define TARMAC_SCHEMAS_EVENT_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tarmac::schemas {

// Driving events, the tags of replay items. The ordinal is the event's bit in a tag mask and
// equals the ordinal of tarmac::wire::Event (checked at compile time).
enum class Event : std::uint8_t {
  kCollision = 0,
  kOffRoad = 1,
  kHardBrake = 2,
  kNearMiss = 3,
  kComfort = 4,
  kLaneDeparture = 5,
  kCutIn = 6,
};

inline constexpr int kNumEvents = 7;
inline constexpr std::array<Event, kNumEvents> kAllEvents = {
    Event::kCollision, Event::kOffRoad,       Event::kHardBrake, Event::kNearMiss,
    Event::kComfort,   Event::kLaneDeparture, Event::kCutIn,
};

// A set of events as a bit mask: bit i is the event with ordinal i.
using EventMask = std::uint64_t;

constexpr EventMask EventBit(Event event) { return EventMask{1} << static_cast<int>(event); }

// The snake_case name used in configs, metrics labels and the CLI ("hard_brake").
absl::string_view EventName(Event event);

// Parses a snake_case event name; InvalidArgument naming the known events otherwise.
absl::StatusOr<Event> ParseEvent(absl::string_view name);

// The events in `mask`, in ordinal order; bits beyond kNumEvents are ignored.
std::vector<Event> EventsIn(EventMask mask);

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_EVENT_H_
