# The admin HTTP API over real HTTP: a daemon on a SQLite state database in a temp dir, the
# server on 127.0.0.1:<free port>, a small Beast client.
file(GLOB http_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/http/*.cpp)
maintd_test_suite(http_tests PREFIX "http: " SOURCES ${http_test_sources}
                  LINKS maintd_http maintd_handlers
                  PCH fmt json soci spdlog asio beast doctest TIMEOUT 120)
