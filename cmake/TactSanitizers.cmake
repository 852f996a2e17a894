# TACT_SANITIZE=thread|address instruments every target of this build (library, tests,
# benchmarks, examples) the same way: mixing instrumented and plain code gives false reports.
if(TACT_SANITIZE STREQUAL "thread")
  set(tact_sanitize_flags -fsanitize=thread -fno-omit-frame-pointer)
  # GCC warns that TSan does not model atomic_thread_fence; every fence tact keeps is
  # argued in place (see include/tact/detail/atomic.hpp), and moodycamel uses fences too.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND tact_sanitize_flags -Wno-tsan)
  endif()
elseif(TACT_SANITIZE STREQUAL "address")
  set(tact_sanitize_flags -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
elseif(NOT TACT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "tact: TACT_SANITIZE must be empty, 'thread' or 'address', not '${TACT_SANITIZE}'")
endif()

if(tact_sanitize_flags)
  # Reports need line numbers: -g unless the build's flags give a level already
  # (the presets' -gline-tables-only is enough, and compiles faster than -g).
  string(TOUPPER "${CMAKE_BUILD_TYPE}" tact_build_type)
  if(NOT "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${tact_build_type}}" MATCHES "(^| )-g")
    list(APPEND tact_sanitize_flags -g)
  endif()
  add_compile_options(${tact_sanitize_flags})
  add_link_options(${tact_sanitize_flags})
  add_compile_definitions(TACT_SANITIZE_$<UPPER_CASE:${TACT_SANITIZE}>=1)
endif()

# Environment every test runs with under a sanitizer: fail hard on the first report.
set(TACT_TEST_ENVIRONMENT
  "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=${CMAKE_CURRENT_LIST_DIR}/tsan.supp"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_init_order=1:detect_stack_use_after_return=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
