# check_compile_fail.cmake: a ctest (cmake -P) that a source file fails to compile
# for the right reason, with a readable error.
#
#   cmake -DCOMPILER=<c++> -DINCLUDE_DIR=<dir> -DSOURCE=<file> -DCASE=<n>
#         -DEXPECT=<regex> -P check_compile_fail.cmake
#
# 1. The control (-DTACT_COMPILE_FAIL_CASE=0) must compile: otherwise the failure
#    below could have any cause.
# 2. CASE must fail to compile, and the diagnostics up to and including the first
#    "error:" line must match EXPECT (the actor and the message are named first).
# 3. At most kMaxErrors "error:" lines in all: a readable static_assert, not a dump.
set(kMaxErrors 2)
# A test may allow more (-DMAX_ERRORS=N) where a compiler goes on instantiating
# after the static_assert that names the types.
if(DEFINED MAX_ERRORS)
  set(kMaxErrors ${MAX_ERRORS})
endif()
foreach(var COMPILER INCLUDE_DIR SOURCE CASE EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_compile_fail.cmake: -D${var}=... is required")
  endif()
endforeach()

# Plain ASCII quotes in the diagnostics, whatever the caller's locale.
set(ENV{LC_ALL} C)
set(ENV{LANG} C)

function(compile case out_rc out_text)
  execute_process(
    COMMAND "${COMPILER}" -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}"
            "-DTACT_COMPILE_FAIL_CASE=${case}" "${SOURCE}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE stdout
    ERROR_VARIABLE stderr)
  set(${out_rc} "${rc}" PARENT_SCOPE)
  set(${out_text} "${stdout}${stderr}" PARENT_SCOPE)
endfunction()

compile(0 control_rc control_text)
if(NOT control_rc EQUAL 0)
  message(FATAL_ERROR "the control (TACT_COMPILE_FAIL_CASE=0) does not compile:\n${control_text}")
endif()

compile(${CASE} rc text)
if(rc EQUAL 0)
  message(FATAL_ERROR "TACT_COMPILE_FAIL_CASE=${CASE} compiled, but it must not")
endif()

string(FIND "${text}" "error:" first_error)
if(first_error EQUAL -1)
  message(FATAL_ERROR "the compiler failed without an 'error:' line:\n${text}")
endif()
# Up to the end of the first error line.
string(SUBSTRING "${text}" ${first_error} -1 rest)
string(FIND "${rest}" "\n" eol)
math(EXPR head_length "${first_error} + ${eol}")
string(SUBSTRING "${text}" 0 ${head_length} head)
if(NOT head MATCHES "${EXPECT}")
  message(FATAL_ERROR "the first error does not match '${EXPECT}':\n${text}")
endif()
set(named "${CMAKE_MATCH_0}")

string(REGEX MATCHALL "error:" errors "${text}")
list(LENGTH errors error_count)
if(error_count GREATER kMaxErrors)
  message(FATAL_ERROR "${error_count} errors (at most ${kMaxErrors} expected): not readable:\n${text}")
endif()
message(STATUS "ok: fails to compile with ${error_count} error(s), naming: ${named}")
