#ifndef TARMAC_TESTS_SUPPORT_FAULT_PROXY_H_
#define TARMAC_TESTS_SUPPORT_FAULT_PROXY_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace tarmac::testing {

// A TCP proxy on a free loopback port in front of 127.0.0.1:<target>, with faults a test turns
// on and off while traffic flows (netem is not available on this kernel):
//   - latency added to every chunk forwarded, each way;
//   - a partition: nothing is forwarded either way and new connections are accepted but not
//     served, so peers see silent, half-open links; what was sent meanwhile is held and
//     delivered late when the partition heals (as TCP retransmission would);
//   - DropAll: every open connection is reset at once.
// One thread accepts, one thread per connection forwards both ways; all stop with the proxy.
// Thread-safe.
class FaultProxy {
 public:
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(int target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void SetLatency(std::chrono::milliseconds latency) { latency_ms_ = latency.count(); }
  void Partition() { partitioned_ = true; }
  void Heal() { partitioned_ = false; }
  void DropAll() { ++generation_; }

  int accepted() const { return accepted_; }

 private:
  FaultProxy() = default;
  void AcceptLoop();
  void Forward(int client, int upstream);

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> partitioned_{false};
  std::atomic<long long> latency_ms_{0};
  std::atomic<int> generation_{0};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> links_;  // guarded by mu_
};

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_SUPPORT_FAULT_PROXY_H_
