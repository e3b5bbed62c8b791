# The real binary returns 2 and names the column for an invalid expression (CTest alone can
# only check for zero or non-zero).
execute_process(COMMAND ${MAINTD} cron next "61 * * * *" RESULT_VARIABLE code
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 2)
  message(FATAL_ERROR "expected exit code 2, got ${code}; stderr: ${err}")
endif()
if(NOT err MATCHES "column 1: minute: value 61 is out of range 0-59")
  message(FATAL_ERROR "stderr does not name the column and reason: ${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "nothing may reach stdout on error, got: ${out}")
endif()
