# src/common: the one child-process runner, its PATH search and output lines, and the one
# run-duration formatter. Table-driven; the runner's tests start real (short) child processes.
file(GLOB common_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/common/*.cpp)
add_executable(common_tests doctest_main.cpp ${common_test_sources})
target_link_libraries(common_tests PRIVATE maintd_common doctest::doctest)
target_include_directories(common_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(common_tests PCH fmt doctest)
doctest_discover_tests(common_tests TEST_PREFIX "common: " PROPERTIES TIMEOUT 60)
