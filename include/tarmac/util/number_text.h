#ifndef TARMAC_UTIL_NUMBER_TEXT_H_
#define TARMAC_UTIL_NUMBER_TEXT_H_

#include <charconv>
#include <string>
#include <system_error>

namespace tarmac::util {

// The shortest decimal text that reads back to exactly `value` ("0.1", "1e+09", "nan"): what a
// file that must replay bit-identically stores. O(1).
inline std::string ShortestText(double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_NUMBER_TEXT_H_
