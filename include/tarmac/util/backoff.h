#ifndef TARMAC_UTIL_BACKOFF_H_
#define TARMAC_UTIL_BACKOFF_H_

#include <algorithm>
#include <chrono>
#include <thread>

namespace tarmac::util {

// Exponential backoff between retries of one operation: the first wait is `initial`, each
// further wait doubles, up to `max`; Reset() after a success starts over. Not thread-safe: one
// per retry loop.
class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(50),
                   std::chrono::milliseconds max = std::chrono::milliseconds(2000))
      : initial_(initial), max_(std::max(initial, max)), next_(initial) {}

  // The wait to use now; the next one doubles (up to max).
  std::chrono::milliseconds Next() {
    const std::chrono::milliseconds wait = next_;
    next_ = std::min(next_ * 2, max_);
    return wait;
  }
  // Blocks the calling thread for Next().
  void Wait() { std::this_thread::sleep_for(Next()); }
  void Reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_, max_, next_;
};

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_BACKOFF_H_
