# Configuration: maintd.yaml and schedule files, validation, limits, golden error texts.
file(GLOB config_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/config/*.cpp)
maintd_test_suite(config_tests PREFIX "config: " SOURCES ${config_test_sources}
                  LINKS maintd_config maintd_handlers
                  DEFINITIONS MAINTD_GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/config/golden"
                  PCH fmt json soci yaml doctest)
