# Two INTERFACE targets every tarmac target links:
#   tarmac::warnings - strict warnings as errors, for our own sources only;
#   tarmac::options  - project-wide compile options (sanitizers, definitions).
include_guard(GLOBAL)

add_library(tarmac_warnings INTERFACE)
add_library(tarmac::warnings ALIAS tarmac_warnings)
target_compile_options(tarmac_warnings INTERFACE -Wall -Wextra -Werror -Wno-unused-parameter)

add_library(tarmac_options INTERFACE)
add_library(tarmac::options ALIAS tarmac_options)
target_compile_features(tarmac_options INTERFACE cxx_std_17)
if(TARMAC_FUZZ)
  # Coverage and ASan for our code; the fuzz targets themselves add -fsanitize=fuzzer.
  target_compile_options(tarmac_options INTERFACE
    -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  target_link_options(tarmac_options INTERFACE -fsanitize=address)
endif()
if(TARMAC_SANITIZE)
  target_compile_options(tarmac_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(tarmac_options INTERFACE -fsanitize=address,undefined)
endif()
