#include "tarmac/monitoring/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace tarmac::monitoring {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(JsonLogFormatterTest, WritesOneEscapedObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("tarmac", sink);
  logger.set_formatter(std::make_unique<JsonLogFormatter>());
  logger.warn("replay shard \"{}\" slow:\n{} ms", "redis://a:6379", 250);
  logger.info("second");

  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const nlohmann::json record = nlohmann::json::parse(line);
  EXPECT_EQ(record["level"], "warning");
  EXPECT_EQ(record["logger"], "tarmac");
  EXPECT_EQ(record["msg"], "replay shard \"redis://a:6379\" slow:\n250 ms");
  EXPECT_THAT(record["ts"].get<std::string>(),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z"));
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], "second");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(JsonLogFormatterTest, InvalidUtf8IsReplacedNotDropped) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("tarmac", sink);
  logger.set_formatter(std::make_unique<JsonLogFormatter>());
  logger.error("bad \xff byte");
  const nlohmann::json record = nlohmann::json::parse(out.str());
  EXPECT_THAT(record["msg"].get<std::string>(), HasSubstr("bad"));
}

TEST(ConfigureLoggingTest, AcceptsKnownLevelsAndFormats) {
  EXPECT_TRUE(ConfigureLogging({"debug", "json"}).ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_TRUE(ConfigureLogging({"off", "text"}).ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::off);
  EXPECT_TRUE(ConfigureLogging({"info", "text"}).ok());
}

TEST(ConfigureLoggingTest, RefusesUnknownValuesAndKeepsTheLogger) {
  ASSERT_TRUE(ConfigureLogging({"warn", "text"}).ok());
  absl::Status status = ConfigureLogging({"verbose", "text"});
  EXPECT_EQ(status.message(),
            "log.level is 'verbose'; use one of trace, debug, info, warn, error, off");
  status = ConfigureLogging({"info", "xml"});
  EXPECT_EQ(status.message(), "log.format is 'xml'; use one of text, json");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
}

}  // namespace
}  // namespace tarmac::monitoring
