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

namespace tarmac::envs {

using EnvFactory = std::function<std::unique_ptr<Env>()>;

// Name -> factory of every environment. Registration happens during static initialisation
// (TARMAC_REGISTER_ENV); afterwards the registry is read-only and thread-safe to read.
class EnvRegistry {
 public:
  static EnvRegistry& Global();

  // Adds an env; a second registration of one name aborts (two envs must not share a name).
  bool Register(std::string name, std::string description, EnvFactory factory);

  // NotFound naming the registered envs (and the nearest one) for an unknown name.
  absl::StatusOr<std::unique_ptr<Env>> Make(absl::string_view name) const;

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
//   TARMAC_REGISTER_ENV("highway-v0", "Highway cruising", std::make_unique<MyEnv>(options));
// The last argument is an expression evaluated on every Make().
#define TARMAC_REGISTER_ENV(name, description, ...)                       \
  static const bool TARMAC_ENV_CONCAT(tarmac_env_registered_, __LINE__) = \
      ::tarmac::envs::EnvRegistry::Global().Register(                     \
          name, description, []() -> std::unique_ptr<::tarmac::envs::Env> { return __VA_ARGS__; })

#endif  // TARMAC_ENVS_REGISTRY_H_
