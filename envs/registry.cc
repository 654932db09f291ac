#include "tarmac/envs/registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::envs {

EnvRegistry& EnvRegistry::Global() {
  static EnvRegistry* const registry = new EnvRegistry();
  return *registry;
}

bool EnvRegistry::Register(std::string name, std::string description, EnvFactory factory) {
  if (entries_.count(name) != 0) {
    std::fprintf(stderr, "tarmac: two environments are registered as '%s'\n", name.c_str());
    std::abort();
  }
  entries_.emplace(std::move(name), Entry{std::move(description), std::move(factory)});
  return true;
}

absl::StatusOr<std::unique_ptr<Env>> EnvRegistry::Make(absl::string_view name,
                                                       const EnvConfig& config) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown env '", name, "'; registered envs are ",
                                            absl::StrJoin(Names(), ", "),
                                            " (`tarmac envs` lists them)"));
  }
  return it->second.factory(config);
}

std::vector<std::string> EnvRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

std::string EnvRegistry::Description(absl::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? "" : it->second.description;
}

}  // namespace tarmac::envs
