# The state database suite (src/store). Most cases run on both backends
# (TEST_CASE_TEMPLATE over MAINTD_BACKENDS, support/backends.hpp): "...<sqlite>" against a SQLite
# file in a temporary directory, "...<postgresql>" against a real server from the harness
# (support/postgres_cluster.hpp: a throwaway cluster per test process, one database per case).
file(GLOB store_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/store/*.cpp)
maintd_test_suite(store_tests BACKENDS SOURCES ${store_test_sources}
                  LINKS maintd_store maintd_test_postgres
                  PCH fmt json soci sqlite postgres doctest TIMEOUT 120)
