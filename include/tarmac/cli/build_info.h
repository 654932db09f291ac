#ifndef TARMAC_CLI_BUILD_INFO_H_
#define TARMAC_CLI_BUILD_INFO_H_

#include <string>

namespace tarmac::cli {

// What this binary is and what it was built against; fixed at build time.
struct BuildInfo {
  std::string version;     // project version, e.g. "0.1.0"
  std::string git_hash;    // short hash, "-dirty" when built from uncommitted changes
  std::string build_type;  // CMake build type
  std::string compiler;
  std::string torch_version;  // empty when built without LibTorch
  bool torch_cuda = false;    // LibTorch was built with CUDA
  std::string caf_version;
  std::string capnp_version;
  std::string hiredis_version;
  std::string prometheus_cpp_version;
};

const BuildInfo& GetBuildInfo();

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_BUILD_INFO_H_
