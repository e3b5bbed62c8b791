# The handlers (handlers/): each case runs against a SQLite target database and against a real
# PostgreSQL one (TEST_CASE_TEMPLATE over MAINTD_BACKENDS, handlers/handler_fixture.hpp); the
# PostgreSQL cases carry the `postgres` label, as in the store suite. Boost.Asio: the fake services
# health.report's tcp probes reach (handlers/fake_server.hpp); the local HTTPS server that
# http.request and the http probes call (support/http_test_server.hpp).
file(GLOB handlers_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/handlers/*.cpp)
# MAINTD_SOURCE_DIR: the repository, for tests that read its files (schedules/examples); not
# __FILE__, which a compiler cache may make relative.
maintd_test_suite(handlers_tests BACKENDS SOURCES ${handlers_test_sources}
                  LINKS maintd_handlers maintd_config maintd_store maintd_test_postgres
                        maintd_test_http Boost::headers
                  DEFINITIONS MAINTD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                  PCH fmt json soci sqlite postgres doctest TIMEOUT 180)
