#include "tarmac/cli/config_schema.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace tarmac::cli {
namespace {

TEST(ConfigSchemaTest, EmbeddedDefaultsSetEveryKey) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  for (const auto& [name, key] : TarmacConfigSchema().keys()) {
    EXPECT_EQ(config->Origin(name), "default") << name;
    EXPECT_FALSE(key.help.empty()) << name << " needs a help text";
  }
}

TEST(ConfigSchemaTest, EmbeddedDefaultsAreTheFileInTheRepository) {
  std::ifstream file(std::string(TARMAC_SOURCE_DIR) + "/configs/default.yaml");
  ASSERT_TRUE(file);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), std::string(DefaultConfigYaml()));
}

TEST(ConfigSchemaTest, DefaultsAreUsable) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetString("log.level"), "info");
  EXPECT_EQ(config->GetString("metrics.bind"), "127.0.0.1");
}

}  // namespace
}  // namespace tarmac::cli
