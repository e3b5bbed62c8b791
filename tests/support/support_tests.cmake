# Test support that needs building: the PostgreSQL harness (a throwaway server per test process,
# see support/postgres_cluster.hpp) and its own tests. Included from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# Suites that need PostgreSQL link maintd_test_postgres (which brings the include directory for
# "support/postgres_cluster.hpp") plus soci::postgresql (which brings libpq and, under the
# sanitizers, -fno-sanitize=vptr: cmake/MaintdDependencies.cmake).

add_library(maintd_test_postgres STATIC ${CMAKE_CURRENT_SOURCE_DIR}/support/postgres_cluster.cpp
                                        ${CMAKE_CURRENT_SOURCE_DIR}/support/postgres_template.cpp)
target_include_directories(maintd_test_postgres PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(maintd_test_postgres)

# The local HTTP(S) server the outbound client's tests call (support/http_test_server.hpp): Beast
# over Asio's OpenSSL streams, certificates made by the openssl command line once per process.
add_library(maintd_test_http STATIC ${CMAKE_CURRENT_SOURCE_DIR}/support/http_test_server.cpp)
target_include_directories(maintd_test_http PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(maintd_test_http PUBLIC Boost::headers OpenSSL::SSL OpenSSL::Crypto
                                              Threads::Threads)
maintd_target_settings(maintd_test_http)

# Each test case is its own process under ctest, so each starts its own cluster (a copy of the
# initdb template and a server start, well under 1 s); the label lets `ctest -L postgres` /
# `-LE postgres` select them, and the timeout stops a hung server from holding CI for ctest's
# default 1500 s.
maintd_test_suite(support_tests PREFIX "support: "
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_postgres_cluster.cpp
                  LINKS maintd_test_postgres soci::postgresql LABEL postgres TIMEOUT 120)
