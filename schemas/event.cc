#include "tarmac/schemas/event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/wire/common.capnp.h"

namespace tarmac::schemas {
namespace {

static_assert(static_cast<int>(Event::kCollision) == static_cast<int>(wire::Event::COLLISION));
static_assert(static_cast<int>(Event::kOffRoad) == static_cast<int>(wire::Event::OFF_ROAD));
static_assert(static_cast<int>(Event::kHardBrake) == static_cast<int>(wire::Event::HARD_BRAKE));
static_assert(static_cast<int>(Event::kNearMiss) == static_cast<int>(wire::Event::NEAR_MISS));
static_assert(static_cast<int>(Event::kComfort) == static_cast<int>(wire::Event::COMFORT));
static_assert(static_cast<int>(Event::kLaneDeparture) ==
              static_cast<int>(wire::Event::LANE_DEPARTURE));
static_assert(static_cast<int>(Event::kCutIn) == static_cast<int>(wire::Event::CUT_IN));

}  // namespace

absl::string_view EventName(Event event) {
  switch (event) {
    case Event::kCollision:
      return "collision";
    case Event::kOffRoad:
      return "off_road";
    case Event::kHardBrake:
      return "hard_brake";
    case Event::kNearMiss:
      return "near_miss";
    case Event::kComfort:
      return "comfort";
    case Event::kLaneDeparture:
      return "lane_departure";
    case Event::kCutIn:
      return "cut_in";
  }
  return "unknown";
}

absl::StatusOr<Event> ParseEvent(absl::string_view name) {
  for (Event event : kAllEvents) {
    if (EventName(event) == name) return event;
  }
  std::vector<absl::string_view> names;
  for (Event event : kAllEvents) names.push_back(EventName(event));
  return absl::InvalidArgumentError(
      absl::StrCat("unknown event '", name, "'; known events are ", absl::StrJoin(names, ", ")));
}

std::vector<Event> EventsIn(EventMask mask) {
  std::vector<Event> out;
  for (Event event : kAllEvents) {
    if ((mask & EventBit(event)) != 0) out.push_back(event);
  }
  return out;
}

}  // namespace tarmac::schemas
