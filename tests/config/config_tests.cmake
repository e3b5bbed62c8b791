# Configuration: maintd.yaml and schedule files, validation, limits, golden error texts. The
# tasks layer is linked for what reaches config through it: a row of scheduled_tasks read as an
# entry (tasks/task_row.hpp).
file(GLOB config_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/config/*.cpp)
maintd_test_suite(config_tests PREFIX "config: " SOURCES ${config_test_sources}
                  LINKS maintd_config maintd_handlers maintd_tasks
                  DEFINITIONS MAINTD_GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/config/golden"
                  PCH fmt json soci yaml doctest)
