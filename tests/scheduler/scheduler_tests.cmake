# The scheduler: the planner, the executor, each of the daemon's units on its own (unit_fixture.hpp)
# and the daemon wired together, against a real SQLite state database in a temp dir, driven with
# an injected clock.
file(GLOB scheduler_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scheduler/*.cpp)
# test_daemon_pause.cpp runs on both backends (BACKENDS: its "<postgresql>" cases are labelled
# postgres).
maintd_test_suite(scheduler_tests PREFIX "scheduler: " BACKENDS SOURCES ${scheduler_test_sources}
                  LINKS maintd_scheduler maintd_handlers maintd_test_http maintd_test_postgres
                  PCH fmt json soci spdlog asio doctest TIMEOUT 60)

# The scheduler's units that read and write tasks and runs together (pause_after_failures), on
# both state database backends (support/backends.hpp), with the hand-moved clock.
file(GLOB scheduler_backend_test_sources CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/scheduler/backends/*.cpp)
maintd_test_suite(scheduler_backend_tests PREFIX "scheduler: " BACKENDS
                  SOURCES ${scheduler_backend_test_sources}
                  LINKS maintd_scheduler maintd_handlers maintd_test_postgres
                  PCH fmt json soci sqlite postgres doctest TIMEOUT 120)
