# The handlers (handlers/): each test body runs against a SQLite target database and against a
# real PostgreSQL one (HANDLER_TEST in handlers/handler_fixture.hpp); the PostgreSQL cases carry
# the `postgres` label, as in the store suite.
file(GLOB handlers_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/handlers/*.cpp)
add_executable(handlers_tests doctest_main.cpp ${handlers_test_sources})
target_link_libraries(handlers_tests PRIVATE maintd_handlers maintd_store maintd_test_postgres
                                             doctest::doctest)
target_include_directories(handlers_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
# The repository, for tests that read its files (schedules/examples): not __FILE__, which a
# compiler cache may make relative.
target_compile_definitions(handlers_tests PRIVATE MAINTD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
maintd_target_settings(handlers_tests PCH fmt json soci sqlite postgres doctest)
doctest_discover_tests(handlers_tests TEST_SPEC "*(postgresql)"
                       PROPERTIES LABELS postgres TIMEOUT 180)
doctest_discover_tests(handlers_tests TEST_SPEC "*" "--test-case-exclude=*(postgresql)"
                       PROPERTIES TIMEOUT 180)
