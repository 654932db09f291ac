# tarmac_add_library(NAME name SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
#   Builds tarmac_<name> with the alias tarmac::<name>. Public headers live in
#   include/tarmac/<name>/ (the include/ root is the public include directory); private headers
#   sit beside the sources. DEPS are linked PUBLIC, PRIVATE_DEPS PRIVATE.
#
# tarmac_add_test(NAME name SRCS ... [DEPS ...] [LABELS ...] [TIMEOUT s] [COST s] [SERIAL])
#   Builds a GoogleTest binary and registers each test case with gtest_discover_tests. The label
#   "unit" is used when none is given; slow suites say "integration" or "fuzz". SERIAL tests
#   run alone.
#
# tarmac_add_executable(NAME name SRCS ... [DEPS ...] [OUTPUT_NAME n])
include_guard(GLOBAL)

function(tarmac_add_library)
  cmake_parse_arguments(ARG "" "NAME;TYPE" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_TYPE)
    set(ARG_TYPE STATIC)
  endif()
  set(target tarmac_${ARG_NAME})
  add_library(${target} ${ARG_TYPE} ${ARG_SRCS})
  add_library(tarmac::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target}
    PUBLIC tarmac::options ${ARG_DEPS}
    PRIVATE tarmac::warnings ${ARG_PRIVATE_DEPS})
  if(ARG_TYPE STREQUAL "SHARED")
    # Calls inside the library bind locally, so that small functions (Traffic::Length, a lane
    # lookup) are inlined instead of going through the PLT; nothing here is meant to be
    # interposed by LD_PRELOAD.
    target_compile_options(${target} PRIVATE -fno-semantic-interposition)
  endif()
endfunction()

function(tarmac_add_executable)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE tarmac::options tarmac::warnings ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${ARG_NAME} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
endfunction()

function(tarmac_add_test)
  cmake_parse_arguments(ARG "SERIAL" "NAME;TIMEOUT;COST" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE
    tarmac::options tarmac::warnings GTest::gtest GTest::gmock GTest::gtest_main ${ARG_DEPS})
  target_compile_definitions(${ARG_NAME} PRIVATE
    TARMAC_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TARMAC_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # SERIAL: the test times multi-process behaviour (heartbeat TTLs, minute budgets) and runs
  # alone, so that a parallel test cannot starve it of the machine's two cores.
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  # COST: seconds the binary's longest test takes; ctest starts costly tests first when it has
  # no timings of its own yet (a clean clone), so one long test does not run alone at the end.
  if(NOT ARG_COST)
    set(ARG_COST 0)
  endif()
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} RUN_SERIAL ${serial} COST ${ARG_COST}
    DISCOVERY_TIMEOUT 30)
endfunction()
