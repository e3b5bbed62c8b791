# src/common: the one child-process runner, its PATH search and output lines, and the one
# run-duration formatter. Table-driven; the runner's tests start real (short) child processes.
file(GLOB common_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/common/*.cpp)
maintd_test_suite(common_tests PREFIX "common: " SOURCES ${common_test_sources}
                  LINKS maintd_common PCH fmt doctest TIMEOUT 60)
