#ifndef TARMAC_ENVS_POPULATION_H_
#define TARMAC_ENVS_POPULATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tarmac::envs {

// A closed range a scenario parameter is drawn from (uniformly).
struct Range {
  double min = 0.0;
  double max = 0.0;
};

// A kind of driver: the distributions its traffic vehicles' parameters are drawn from. The
// `normal` profile's are what every vehicle was drawn from before populations existed.
struct DriverProfile {
  std::string name;
  Range speed_factor{1.0, 1.0};    // times the desired speed the scenario draws
  Range time_headway{1.0, 2.0};    // IDM T, s
  Range max_accel{1.0, 2.0};       // IDM a, m/s^2
  Range comfort_decel{2.5, 3.5};   // IDM b, m/s^2
  Range min_gap{1.5, 3.0};         // IDM s0, m
  Range politeness{0.2, 0.2};      // MOBIL p
  Range threshold{0.2, 0.2};       // MOBIL delta a_th, m/s^2
  Range max_safe_decel{4.0, 4.0};  // MOBIL b_safe, m/s^2: higher accepts tighter cut-ins
  Range reaction{0.0, 0.0};        // s, lag between what IDM asks and what the car does
};

// Every field of DriverProfile: its name in files and the field.
struct ProfileRangeInfo {
  const char* name;
  Range DriverProfile::*field;
  double lowest;
  double highest;
};
inline constexpr ProfileRangeInfo kProfileRanges[] = {
    {"speed_factor", &DriverProfile::speed_factor, 0.3, 2.0},
    {"T", &DriverProfile::time_headway, 0.0, 10.0},
    {"a", &DriverProfile::max_accel, 0.1, 10.0},
    {"b", &DriverProfile::comfort_decel, 0.1, 10.0},
    {"s0", &DriverProfile::min_gap, 0.0, 50.0},
    {"politeness", &DriverProfile::politeness, 0.0, 5.0},
    {"threshold", &DriverProfile::threshold, -5.0, 5.0},
    {"b_safe", &DriverProfile::max_safe_decel, 0.5, 15.0},
    {"reaction", &DriverProfile::reaction, 0.0, 3.0},
};

// The built-in profiles: `normal` (today's traffic), `calm` (long headways, polite),
// `aggressive` (fast, short headways, cuts in tightly: high b_safe, no politeness) and
// `distracted` (reacts 0.6-1.2 s late: brakes late).
const std::vector<DriverProfile>& BuiltinProfiles();
// The built-in profile called `name`; InvalidArgument listing them for any other.
absl::StatusOr<DriverProfile> FindProfile(absl::string_view name);

// One share of a population: a profile and its weight (> 0).
struct PopulationShare {
  DriverProfile profile;
  double weight = 1.0;
};

// InvalidArgument naming the profile and field of a range outside its bounds or with min > max,
// or a weight that is not positive and finite.
absl::Status ValidatePopulation(const std::vector<PopulationShare>& population);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_POPULATION_H_
