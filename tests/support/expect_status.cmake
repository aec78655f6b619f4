# Runs a command and checks both its exit status and its output, which CTest alone cannot do at once
# (PASS_REGULAR_EXPRESSION ignores the status). Used by the command-line tests:
#   cmake -DCMD="prog|arg1|arg2" -DSTATUS=2 -DREGEX="--threads" -P expect_status.cmake
# CMD separates the arguments with '|'. Fails when the status differs or the output (stdout + stderr)
# does not match REGEX.
string(REPLACE "|" ";" command "${CMD}")
execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${status}" STREQUAL "${STATUS}")
  message(FATAL_ERROR "exit status ${status}, expected ${STATUS}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match \"${REGEX}\"\nstdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "exit ${status}; output matches \"${REGEX}\"")
