#ifndef TARMAC_UTIL_SECONDS_H_
#define TARMAC_UTIL_SECONDS_H_

#include <chrono>

namespace tarmac::util {

using SteadyClock = std::chrono::steady_clock;

// A steady-clock duration in seconds.
inline double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_SECONDS_H_
