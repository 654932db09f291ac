# Run at build time (cmake -P): writes OUTPUT with the current git hash, touching it only when
# the hash changes so that nothing rebuilds needlessly.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR hash STREQUAL "")
  # No repository here (an image's build context has no .git): the builder may say it.
  if(NOT "$ENV{TARMAC_GIT_HASH}" STREQUAL "")
    set(hash "$ENV{TARMAC_GIT_HASH}")
  else()
    set(hash "unknown")
  endif()
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE changes ERROR_QUIET)
  if(NOT changes STREQUAL "")
    string(APPEND hash "-dirty")
  endif()
endif()
set(content "// Generated at build time by cmake/GitHash.cmake.\n#define TARMAC_GIT_HASH \"${hash}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
