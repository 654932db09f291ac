# Every third-party dependency of tarmac is found here, once. All are Debian bookworm packages
# installed by scripts/bootstrap; nothing is downloaded at configure or build time.
include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# Cap'n Proto 0.9 (needs LANGUAGES C, see the top-level project()).
find_package(CapnProto CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(zstd CONFIG REQUIRED)
# HMAC-SHA-256 of published weights (TARMAC_WEIGHTS_KEY) and hashed ACL passwords.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

if(TARMAC_FUZZ)
  # The fuzz tree builds only util/, schemas/ and the fuzzers.
  return()
endif()

find_package(prometheus-cpp CONFIG REQUIRED)
# prometheus-cpp's CMake config carries no version; its pkg-config file does.
pkg_check_modules(PROMETHEUS_CPP QUIET prometheus-cpp-core)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)

# CAF 0.17 ships neither a CMake config nor a pkg-config file: import it by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(component core io openssl)
  find_library(CAF_${component}_LIBRARY caf_${component} REQUIRED)
  add_library(caf::${component} UNKNOWN IMPORTED)
  set_target_properties(caf::${component} PROPERTIES
    IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endforeach()
set_property(TARGET caf::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES caf::core)
set_property(TARGET caf::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES caf::io)

# LibTorch: only learner/ links it, PRIVATE (its target adds ABI and USE_* definitions).
set(TARMAC_TORCH_VERSION "")
set(TARMAC_TORCH_CUDA OFF)
if(TARMAC_WITH_TORCH)
  find_package(Torch REQUIRED)
  set(TARMAC_TORCH_VERSION "${Torch_VERSION}")
  if(TORCH_CUDA_LIBRARIES)
    set(TARMAC_TORCH_CUDA ON)
  endif()
endif()

# Eigen 3 (headers only): the built-in MLP's inference on AVX2 CPUs (learner/mlp_avx2.h).
find_package(Eigen3 3.3 CONFIG REQUIRED)

if(TARMAC_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(TARMAC_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

find_program(TARMAC_REDIS_SERVER redis-server)
find_program(TARMAC_PROMTOOL promtool)
find_program(TARMAC_PROMETHEUS prometheus)
