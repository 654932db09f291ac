#ifndef TARMAC_ENVS_REGISTRY_H_
#define TARMAC_ENVS_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/envs/env.h"
#include "tarmac/envs/env_config.h"

namespace tarmac::envs {

using EnvFactory = std::function<std::unique_ptr<Env>(const EnvConfig& config)>;

// Name -> factory of every environment. Registration happens during static initialisation
// (TARMAC_REGISTER_ENV); afterwards the registry is read-only and thread-safe to read.
class EnvRegistry {
 public:
  static EnvRegistry& Global();

  // Adds an env; a second registration of one name aborts (two envs must not share a name).
  bool Register(std::string name, std::string description, EnvFactory factory);

  // NotFound naming the registered envs for an unknown name.
  absl::StatusOr<std::unique_ptr<Env>> Make(absl::string_view name,
                                            const EnvConfig& config = {}) const;

  std::vector<std::string> Names() const;
  std::string Description(absl::string_view name) const;

 private:
  struct Entry {
    std::string description;
    EnvFactory factory;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace tarmac::envs

#define TARMAC_ENV_CONCAT_INNER(a, b) a##b
#define TARMAC_ENV_CONCAT(a, b) TARMAC_ENV_CONCAT_INNER(a, b)

// Registers an env in one line, in the file that defines it:
//   TARMAC_REGISTER_ENV("my_env-v0", "What it is", std::make_unique<MyEnv>(config));
// The last argument is an expression evaluated on every Make(); `config` (an EnvConfig) is in
// scope.
#define TARMAC_REGISTER_ENV(name, description, ...)                                             \
  static const bool TARMAC_ENV_CONCAT(tarmac_env_registered_, __LINE__) =                       \
      ::tarmac::envs::EnvRegistry::Global().Register(                                           \
          name, description,                                                                    \
          [](const ::tarmac::envs::EnvConfig& config) -> std::unique_ptr<::tarmac::envs::Env> { \
            (void)config;                                                                       \
            return __VA_ARGS__;                                                                 \
          })

#endif  // TARMAC_ENVS_REGISTRY_H_
