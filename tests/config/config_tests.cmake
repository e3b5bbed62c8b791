file(GLOB config_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/config/*.cpp)
add_executable(config_tests doctest_main.cpp ${config_test_sources})
target_link_libraries(config_tests PRIVATE maintd_config maintd_handlers doctest::doctest)
target_include_directories(config_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(config_tests PRIVATE
  MAINTD_GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/config/golden")
maintd_target_settings(config_tests PCH fmt json soci yaml doctest)
doctest_discover_tests(config_tests TEST_PREFIX "config: ")
