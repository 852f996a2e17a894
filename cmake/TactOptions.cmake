# Developer targets (tests, benchmarks, examples) default ON only when tact is the
# top-level project, so a parent project that add_subdirectory()s tact builds just the library.
if(PROJECT_IS_TOP_LEVEL)
  set(tact_dev_default ON)
else()
  set(tact_dev_default OFF)
endif()

option(TACT_BUILD_TESTS "Build tact's tests" ${tact_dev_default})
option(TACT_BUILD_BENCH "Build tact's benchmarks" ${tact_dev_default})
option(TACT_BUILD_EXAMPLES "Build tact's examples" ${tact_dev_default})
option(TACT_SIM "Simulation build: a deterministic scheduler under every atomic (preset sim; tests only)" OFF)
option(TACT_BUILD_FUZZ "Build the libFuzzer targets (clang only; preset fuzz)" OFF)
option(TACT_FETCH_DEPENDENCIES
  "Download moodycamel ConcurrentQueue with FetchContent when it is not installed (needs network)" OFF)

set(TACT_SANITIZE "" CACHE STRING "Sanitizer build: empty, thread, or address (address+undefined, leaks checked)")
set_property(CACHE TACT_SANITIZE PROPERTY STRINGS "" thread address)

# Consumers see tact's headers as SYSTEM so our warnings never become theirs.
if(PROJECT_IS_TOP_LEVEL)
  set(tact_warning_guard "")
else()
  set(tact_warning_guard SYSTEM)
endif()

include(GNUInstallDirs)
