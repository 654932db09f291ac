#ifndef TARMAC_MONITORING_LOGGING_H_
#define TARMAC_MONITORING_LOGGING_H_

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tarmac/util/option_table.h"

namespace tarmac::monitoring {

enum class LogFormat {
  kText,  // "2026-11-24 05:01:14.123 info  message" for terminals
  kJson,  // one JSON object per line, for log collectors on clusters
};

struct LoggingOptions {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text, json
};

// The log.* keys that set LoggingOptions.
const util::OptionTable<LoggingOptions>& LoggingOptionTable();

// Sets the default spdlog logger ("tarmac", to stderr) to `options`. InvalidArgument, naming
// the accepted values, for an unknown level or format; the logger is unchanged then.
// Not thread-safe: call once at start-up, before other threads log.
absl::Status ConfigureLogging(const LoggingOptions& options);

// Formats each record as {"ts":"<ISO 8601 UTC>","level":"info","logger":"tarmac","msg":"..."}
// with the message JSON-escaped. Thread-compatible (spdlog calls it under the sink's lock).
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace tarmac::monitoring

#endif  // TARMAC_MONITORING_LOGGING_H_
