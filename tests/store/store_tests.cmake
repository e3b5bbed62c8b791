# The state database suite (src/store). Most test cases run twice, once per backend, and say which
# in their name: "... (sqlite)" against a SQLite file in a temporary directory, "... (postgresql)"
# against a real server from the harness (support/postgres_cluster.hpp: a throwaway cluster per
# test process, one database per test case). The PostgreSQL ones carry the `postgres` label, like
# support_tests, so `ctest -LE postgres` runs the rest without a server.
file(GLOB store_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/store/*.cpp)
add_executable(store_tests doctest_main.cpp ${store_test_sources})
target_link_libraries(store_tests PRIVATE maintd_store maintd_test_postgres doctest::doctest)
target_include_directories(store_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(store_tests PCH fmt json soci sqlite postgres doctest)
# Two discoveries of one binary. doctest_discover_tests turns TEST_SPEC into `--test-case=...`
# and passes it as a list, so the second element of the second one reaches the binary as its
# own `--test-case-exclude=...` argument.
doctest_discover_tests(store_tests TEST_SPEC "*(postgresql)"
                       PROPERTIES LABELS postgres TIMEOUT 120)
doctest_discover_tests(store_tests TEST_SPEC "*" "--test-case-exclude=*(postgresql)"
                       PROPERTIES TIMEOUT 120)
