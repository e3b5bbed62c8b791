# The tasks layer (src/tasks/: the effective task set, the sync of the schedule files into
# scheduled_tasks, edits, a row validated as a task) and the commands over it (src/cli/
# task_commands, src/cli/db_commands). Included from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# tasks_tests: the layer, most cases on both backends (support/config_state.hpp).
maintd_test_suite(tasks_tests BACKENDS
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_store.cpp
                          ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_entry.cpp
                          ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_adopted_table.cpp
                  LINKS maintd_tasks maintd_handlers maintd_test_postgres
                  PCH fmt json soci sqlite postgres doctest TIMEOUT 120)

# task_cli_tests: `maintd db migrate|seed` and `maintd task ...` in-process, on SQLite.
maintd_test_suite(task_cli_tests PREFIX "cli: "
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_cli.cpp LINKS maintd_cli
                  TIMEOUT 120)
