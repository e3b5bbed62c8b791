# The scheduler: the planner, the executor, each of the daemon's units on its own (unit_fixture.hpp)
# and the daemon wired together, against a real SQLite state database in a temp dir.
file(GLOB scheduler_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scheduler/*.cpp)
add_executable(scheduler_tests doctest_main.cpp ${scheduler_test_sources})
target_link_libraries(scheduler_tests PRIVATE maintd_scheduler maintd_handlers doctest::doctest)
target_include_directories(scheduler_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(scheduler_tests PCH fmt json soci spdlog asio doctest)
doctest_discover_tests(scheduler_tests TEST_PREFIX "scheduler: " PROPERTIES TIMEOUT 60)
