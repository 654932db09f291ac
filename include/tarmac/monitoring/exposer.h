#ifndef TARMAC_MONITORING_EXPOSER_H_
#define TARMAC_MONITORING_EXPOSER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tarmac/util/option_table.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace tarmac::monitoring {

struct ExposerOptions {
  // TCP port of the /metrics endpoint; 0 picks a free one (see MetricsExposer::port()).
  int port = 9464;
  // Loopback by default; "0.0.0.0" (or "::") only when the user asks, e.g. inside a pod.
  std::string bind_address = "127.0.0.1";

  // InvalidArgument for a port outside 0..65535 or an address that is not an IP literal.
  absl::Status Validate() const;
};

// The metrics.* keys that set ExposerOptions.
const util::OptionTable<ExposerOptions>& ExposerOptionTable();

// Serves /metrics over HTTP for one registry on a civetweb thread pool. Thread-safe; the
// destructor stops the server. Non-copyable.
class MetricsExposer {
 public:
  // Unavailable when the address cannot be bound (port in use, no such interface).
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Start(
      const ExposerOptions& options, std::shared_ptr<prometheus::Registry> registry);

  ~MetricsExposer();
  MetricsExposer(const MetricsExposer&) = delete;
  MetricsExposer& operator=(const MetricsExposer&) = delete;

  // The port actually listened on.
  int port() const { return port_; }
  std::string url() const;

 private:
  MetricsExposer(std::unique_ptr<prometheus::Exposer> exposer, std::string address, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
  int port_;
};

}  // namespace tarmac::monitoring

#endif  // TARMAC_MONITORING_EXPOSER_H_
