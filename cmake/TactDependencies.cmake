# moodycamel ConcurrentQueue (header-only), normalised to the target tact_concurrentqueue.
# Order: its own CMake package, then the Debian header, then (opt-in) FetchContent.
# Only src/scheduler/injector.hpp includes it, hiding with __has_include that its include
# path differs between build trees and installs (upstream cameron314/concurrentqueue#384, #391).
# It is header-only and used only inside libtact.a, so consumers never need it.
add_library(tact_concurrentqueue INTERFACE)

find_package(concurrentqueue CONFIG QUIET)
if(TARGET concurrentqueue::concurrentqueue)
  target_link_libraries(tact_concurrentqueue INTERFACE concurrentqueue::concurrentqueue)
  message(STATUS "tact: moodycamel ConcurrentQueue from its CMake package")
else()
  find_path(TACT_CONCURRENTQUEUE_DIR concurrentqueue.h
    PATHS /usr/include /usr/local/include
    PATH_SUFFIXES concurrentqueue concurrentqueue/moodycamel moodycamel)
  if(TACT_CONCURRENTQUEUE_DIR)
    target_include_directories(tact_concurrentqueue SYSTEM INTERFACE "${TACT_CONCURRENTQUEUE_DIR}")
    message(STATUS "tact: moodycamel ConcurrentQueue header in ${TACT_CONCURRENTQUEUE_DIR}")
  elseif(TACT_FETCH_DEPENDENCIES)
    include(FetchContent)
    FetchContent_Declare(concurrentqueue
      GIT_REPOSITORY https://github.com/cameron314/concurrentqueue.git
      GIT_TAG v1.0.4)
    FetchContent_MakeAvailable(concurrentqueue)
    target_include_directories(tact_concurrentqueue SYSTEM INTERFACE "${concurrentqueue_SOURCE_DIR}")
    message(STATUS "tact: moodycamel ConcurrentQueue fetched")
  else()
    message(FATAL_ERROR
      "tact: moodycamel ConcurrentQueue not found. On Debian/Ubuntu: "
      "apt-get install libconcurrentqueue-dev ; or configure with -DTACT_FETCH_DEPENDENCIES=ON")
  endif()
endif()

if(TACT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TACT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
