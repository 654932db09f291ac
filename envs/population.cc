#include "tarmac/envs/population.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::envs {

const std::vector<DriverProfile>& BuiltinProfiles() {
  static const std::vector<DriverProfile> profiles = [] {
    DriverProfile normal;
    normal.name = "normal";
    DriverProfile calm;
    calm.name = "calm";
    calm.speed_factor = {0.85, 0.95};
    calm.time_headway = {1.8, 2.5};
    calm.max_accel = {0.8, 1.4};
    calm.comfort_decel = {2.0, 3.0};
    calm.min_gap = {2.5, 4.0};
    calm.politeness = {0.4, 0.8};
    calm.threshold = {0.3, 0.5};
    calm.max_safe_decel = {2.5, 3.5};
    DriverProfile aggressive;
    aggressive.name = "aggressive";
    aggressive.speed_factor = {1.05, 1.2};
    aggressive.time_headway = {0.6, 1.0};
    aggressive.max_accel = {2.0, 3.0};
    aggressive.comfort_decel = {3.5, 4.5};
    aggressive.min_gap = {1.0, 2.0};
    aggressive.politeness = {0.0, 0.1};
    aggressive.threshold = {0.05, 0.15};
    aggressive.max_safe_decel = {6.0, 8.0};
    DriverProfile distracted;
    distracted.name = "distracted";
    distracted.reaction = {0.6, 1.2};
    return std::vector<DriverProfile>{normal, calm, aggressive, distracted};
  }();
  return profiles;
}

absl::StatusOr<DriverProfile> FindProfile(absl::string_view name) {
  std::vector<std::string> names;
  for (const DriverProfile& p : BuiltinProfiles()) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown driver profile '", name,
                                                 "'; the built-in profiles are ",
                                                 absl::StrJoin(names, ", ")));
}

absl::Status ValidatePopulation(const std::vector<PopulationShare>& population) {
  for (const PopulationShare& share : population) {
    if (!(share.weight > 0) || !std::isfinite(share.weight)) {
      return absl::InvalidArgumentError(absl::StrCat("driver profile ", share.profile.name,
                                                     " has weight ", share.weight,
                                                     "; a population's weights must be positive"));
    }
    for (const ProfileRangeInfo& info : kProfileRanges) {
      const Range& r = share.profile.*info.field;
      if (!(r.min >= info.lowest && r.min <= r.max && r.max <= info.highest)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "driver profile ", share.profile.name, ": ", info.name, " [", r.min, ", ", r.max,
            "] must satisfy ", info.lowest, " <= min <= max <= ", info.highest));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tarmac::envs
