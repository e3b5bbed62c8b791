# The CLI driven in-process (exit codes, stdout, stderr), and the real binary for what only a
# process shows.
# The interrupt test runs the real binary (NEEDS_BINARY).
file(GLOB cli_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cli/*.cpp)
maintd_test_suite(cli_tests PREFIX "cli: " SOURCES ${cli_test_sources} LINKS maintd_cli
                  maintd_test_http NEEDS_BINARY PCH fmt json soci spdlog asio beast cli11 doctest)

add_test(NAME "binary: maintd --version" COMMAND maintd --version)
set_tests_properties("binary: maintd --version" PROPERTIES
                     PASS_REGULAR_EXPRESSION "^maintd ${PROJECT_VERSION}\n$")
add_test(NAME "binary: invalid expression exits 2"
         COMMAND ${CMAKE_COMMAND} -DMAINTD=$<TARGET_FILE:maintd> -P
                 ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_exit_code.cmake)

# The same commands with the state database on a real PostgreSQL (tests/support starts it).
file(GLOB cli_postgres_test_sources CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/cli/postgres/*.cpp)
maintd_test_suite(cli_postgres_tests PREFIX "cli postgres: " SOURCES ${cli_postgres_test_sources}
                  LINKS maintd_cli maintd_test_postgres LABEL postgres TIMEOUT 120)
