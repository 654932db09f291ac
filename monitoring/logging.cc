#include "tarmac/monitoring/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace tarmac::monitoring {
namespace {

constexpr char kTextPattern[] = "%Y-%m-%d %H:%M:%S.%e %-5l %v";

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto since_epoch = msg.time.time_since_epoch();
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);

  const auto level = spdlog::level::to_string_view(msg.level);
  nlohmann::json record = {
      {"ts", absl::StrCat(stamp, ".", absl::Dec(millis, absl::kZeroPad3), "Z")},
      {"level", std::string(level.data(), level.size())},
      {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
      {"msg", std::string(msg.payload.data(), msg.payload.size())},
  };
  // Invalid UTF-8 in a message is replaced, never a reason to lose the record.
  const std::string line =
      record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

const util::OptionTable<LoggingOptions>& LoggingOptionTable() {
  static const auto* const table = [] {
    auto* t = new util::OptionTable<LoggingOptions>();
    t->Choice("log.level", &LoggingOptions::level,
              {"trace", "debug", "info", "warn", "error", "off"},
              "Least severe log level written to stderr.");
    t->Choice("log.format", &LoggingOptions::format, {"text", "json"},
              "text for terminals; json writes one object per line for log collectors.");
    return t;
  }();
  return *table;
}

absl::Status ConfigureLogging(const LoggingOptions& options) {
  if (absl::Status s = LoggingOptionTable().Check(options); !s.ok()) return s;
  const spdlog::level::level_enum level = spdlog::level::from_str(options.level);
  auto logger =
      std::make_shared<spdlog::logger>("tarmac", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (options.format == "json") {
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger->set_pattern(kTextPattern);
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace tarmac::monitoring
