#include "tarmac/schemas/event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tarmac::schemas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(EventTest, NamesAreUniqueAndParseBack) {
  std::set<std::string> names;
  for (Event event : kAllEvents) {
    const std::string name(EventName(event));
    EXPECT_TRUE(names.insert(name).second) << name;
    absl::StatusOr<Event> parsed = ParseEvent(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, event);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kNumEvents));
}

TEST(EventTest, UnknownNameListsTheKnownOnes) {
  absl::StatusOr<Event> parsed = ParseEvent("hardbrake");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'hardbrake'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("hard_brake"));
}

TEST(EventTest, MaskRoundTripsAndIgnoresUnknownBits) {
  const EventMask mask = EventBit(Event::kHardBrake) | EventBit(Event::kCutIn) | (1ULL << 40);
  EXPECT_THAT(EventsIn(mask), ElementsAre(Event::kHardBrake, Event::kCutIn));
  EXPECT_TRUE(EventsIn(0).empty());
}

}  // namespace
}  // namespace tarmac::schemas
