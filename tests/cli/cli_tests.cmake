# The CLI driven in-process (exit codes, stdout, stderr), and the real binary for what only a
# process shows.
file(GLOB cli_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cli/*.cpp)
add_executable(cli_tests doctest_main.cpp ${cli_test_sources})
target_link_libraries(cli_tests PRIVATE maintd_cli doctest::doctest)
target_include_directories(cli_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(cli_tests PCH fmt json soci spdlog asio beast cli11 doctest)
doctest_discover_tests(cli_tests TEST_PREFIX "cli: ")

add_test(NAME "binary: maintd --version" COMMAND maintd --version)
set_tests_properties("binary: maintd --version" PROPERTIES
                     PASS_REGULAR_EXPRESSION "^maintd ${PROJECT_VERSION}\n$")
add_test(NAME "binary: invalid expression exits 2"
         COMMAND ${CMAKE_COMMAND} -DMAINTD=$<TARGET_FILE:maintd> -P
                 ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_exit_code.cmake)
# The interrupt test runs the real binary.
add_dependencies(cli_tests maintd)
target_compile_definitions(cli_tests PRIVATE MAINTD_BINARY="$<TARGET_FILE:maintd>")

# The same commands with the state database on a real PostgreSQL (tests/support starts it).
file(GLOB cli_postgres_test_sources CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/cli/postgres/*.cpp)
add_executable(cli_postgres_tests doctest_main.cpp ${cli_postgres_test_sources})
target_link_libraries(cli_postgres_tests PRIVATE maintd_cli maintd_test_postgres doctest::doctest)
target_include_directories(cli_postgres_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(cli_postgres_tests)
doctest_discover_tests(cli_postgres_tests TEST_PREFIX "cli postgres: "
                       PROPERTIES LABELS postgres TIMEOUT 120)
