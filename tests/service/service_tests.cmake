# The service layer (src/service): the operations the interfaces share, against a daemon on a
# SQLite state database in a temp dir (the admin API's fixture, tests/http/api_fixture.hpp).
file(GLOB service_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/service/*.cpp)
maintd_test_suite(service_tests PREFIX "service: " SOURCES ${service_test_sources}
                  LINKS maintd_http maintd_handlers
                  PCH fmt json soci spdlog asio beast doctest TIMEOUT 120)
