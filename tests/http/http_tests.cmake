# The admin HTTP API over real HTTP: a daemon on a SQLite state database in a temp dir, the
# server on 127.0.0.1:<free port>, a small Beast client.
file(GLOB http_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/http/*.cpp)
add_executable(http_tests doctest_main.cpp ${http_test_sources})
target_link_libraries(http_tests PRIVATE maintd_http maintd_handlers doctest::doctest)
target_include_directories(http_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(http_tests PCH fmt json soci spdlog asio beast doctest)
doctest_discover_tests(http_tests TEST_PREFIX "http: " PROPERTIES TIMEOUT 120)
