// A real Prometheus server scrapes a tarmac exposer and answers a query over what it scraped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "subprocess.h"
#include "tarmac/monitoring/exposer.h"
#include "tarmac/monitoring/metrics.h"

namespace tarmac::monitoring {
namespace {

TEST(PrometheusScrapeTest, RealPrometheusScrapesTheExposer) {
  if (std::string(TARMAC_PROMETHEUS).empty()) GTEST_SKIP() << "prometheus not installed";
  Metrics metrics;
  metrics.env_steps_total.Add({}).Increment(4242);
  ExposerOptions options;
  options.port = 0;
  auto exposer = MetricsExposer::Start(options, metrics.registry());
  ASSERT_TRUE(exposer.ok()) << exposer.status();

  testing::TempDir dir;
  const std::string config = dir.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: tarmac\n    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << (*exposer)->port() << "']\n";
  const int port = testing::FreeLoopbackPort();
  auto server = testing::Subprocess::Start(
      {TARMAC_PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/db",
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      dir.path() + "/prometheus.log");
  ASSERT_TRUE(server.ok()) << server.status();

  double value = -1;
  for (int attempt = 0; attempt < 150 && value < 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto response = testing::HttpGet(port, "/api/v1/query?query=tarmac_env_steps_total");
    if (!response.ok() || response->status != 200) continue;
    const auto body = nlohmann::json::parse(response->body, nullptr, false);
    if (body.is_discarded() || body["data"]["result"].empty()) continue;
    value = std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
  }
  EXPECT_DOUBLE_EQ(value, 4242.0) << "Prometheus never returned the scraped sample";
  EXPECT_TRUE(server->Running());
  server->Stop(SIGTERM);
  EXPECT_FALSE(server->Running());
}

}  // namespace
}  // namespace tarmac::monitoring
