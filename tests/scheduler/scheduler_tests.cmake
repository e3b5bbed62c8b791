# The scheduler: the planner, the executor, each of the daemon's units on its own (unit_fixture.hpp)
# and the daemon wired together, against a real SQLite state database in a temp dir, driven with
# an injected clock.
file(GLOB scheduler_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scheduler/*.cpp)
maintd_test_suite(scheduler_tests PREFIX "scheduler: " SOURCES ${scheduler_test_sources}
                  LINKS maintd_scheduler maintd_handlers maintd_test_http
                  PCH fmt json soci spdlog asio doctest TIMEOUT 60)
