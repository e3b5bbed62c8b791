# The service layer (src/service): the operations the interfaces share, against a daemon on a
# SQLite state database in a temp dir (the admin API's fixture, tests/http/api_fixture.hpp).
file(GLOB service_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/service/*.cpp)
add_executable(service_tests doctest_main.cpp ${service_test_sources})
target_link_libraries(service_tests PRIVATE maintd_http maintd_handlers doctest::doctest)
target_include_directories(service_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(service_tests PCH fmt json soci spdlog asio beast doctest)
doctest_discover_tests(service_tests TEST_PREFIX "service: " PROPERTIES TIMEOUT 120)
