#include "version_command.h"

#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "tarmac/cli/build_info.h"

namespace tarmac::cli {

CLI::App* VersionCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand("version", "Print the version, git hash and backends");
  sub->add_flag("--json", json_, "Print one JSON object instead of text");
  return sub;
}

int VersionCommand::Run(const CommandContext& context) {
  const BuildInfo& info = GetBuildInfo();
  const std::string torch = info.torch_version.empty() ? "not built" : info.torch_version;
  if (json_) {
    nlohmann::json out = {
        {"version", info.version},
        {"git", info.git_hash},
        {"build_type", info.build_type},
        {"compiler", info.compiler},
        {"backends",
         {{"libtorch", torch},
          {"cuda", info.torch_cuda},
          {"caf", info.caf_version},
          {"capnproto", info.capnp_version},
          {"hiredis", info.hiredis_version},
          {"prometheus_cpp", info.prometheus_cpp_version}}},
    };
    context.out << out.dump() << "\n";
    return kExitOk;
  }
  context.out << "tarmac " << info.version << " (git " << info.git_hash << ", " << info.build_type
              << ", " << info.compiler << ")\n"
              << "backends: LibTorch " << torch << " (CUDA: " << (info.torch_cuda ? "yes" : "no")
              << "), CAF " << info.caf_version << ", Cap'n Proto " << info.capnp_version
              << ", hiredis " << info.hiredis_version << ", prometheus-cpp "
              << info.prometheus_cpp_version << "\n";
  return kExitOk;
}

}  // namespace tarmac::cli
