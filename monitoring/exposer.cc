#include "tarmac/monitoring/exposer.h"

#include <arpa/inet.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tarmac::monitoring {
namespace {

bool IsIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

}  // namespace

const util::OptionTable<ExposerOptions>& ExposerOptionTable() {
  static const auto* const table = [] {
    auto* t = new util::OptionTable<ExposerOptions>();
    t->Int("metrics.port", &ExposerOptions::port, 0, 65535,
           "Port of the process's Prometheus /metrics endpoint; 0 picks a free one.");
    t->String("metrics.bind", &ExposerOptions::bind_address,
              "Address the metrics endpoint binds: 127.0.0.1 or 0.0.0.0.");
    return t;
  }();
  return *table;
}

absl::Status ExposerOptions::Validate() const {
  if (absl::Status s = ExposerOptionTable().Check(*this); !s.ok()) return s;
  unsigned char buffer[16];
  const int family = IsIpv6(bind_address) ? AF_INET6 : AF_INET;
  if (inet_pton(family, bind_address.c_str(), buffer) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics bind address '", bind_address,
        "' is not an IP address; use 127.0.0.1 (default) or 0.0.0.0 to listen on all"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Start(
    const ExposerOptions& options, std::shared_ptr<prometheus::Registry> registry) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  const std::string host = IsIpv6(options.bind_address)
                               ? absl::StrCat("[", options.bind_address, "]")
                               : options.bind_address;
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(absl::StrCat(host, ":", options.port),
                                                    /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", host, ":", options.port,
                                               " (", e.what(), "); choose another --metrics-port"));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  const int port = ports.empty() ? options.port : ports.front();
  return std::unique_ptr<MetricsExposer>(new MetricsExposer(std::move(exposer), host, port));
}

MetricsExposer::MetricsExposer(std::unique_ptr<prometheus::Exposer> exposer, std::string address,
                               int port)
    : exposer_(std::move(exposer)), address_(std::move(address)), port_(port) {}

MetricsExposer::~MetricsExposer() = default;

std::string MetricsExposer::url() const {
  return absl::StrCat("http://", address_, ":", port_, "/metrics");
}

}  // namespace tarmac::monitoring
