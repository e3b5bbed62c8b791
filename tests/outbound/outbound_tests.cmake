# src/outbound: the HTTP(S) client on libcurl, against the local HTTPS server of
# support/http_test_server.hpp (a CA made per test process); its URL parsing and masking, its
# retry rules. Waits between attempts go through an injected wait, so that no test sleeps them;
# the timeout and the cancellation are real time, with wide bounds.
file(GLOB outbound_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/outbound/*.cpp)
maintd_test_suite(outbound_tests PREFIX "outbound: " SOURCES ${outbound_test_sources}
                  LINKS maintd_outbound maintd_test_http PCH fmt doctest TIMEOUT 60)
