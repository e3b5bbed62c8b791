# The tasks layer (src/tasks/: the effective task set, the sync of the schedule files into
# scheduled_tasks, edits, a row validated as a task) and the commands over it (src/cli/
# task_commands, src/cli/db_commands). Included from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# tasks_tests: the layer. Most cases run twice and say which backend in their name:
# "... (sqlite)" against a SQLite file in a temporary directory, "... (postgresql)" against a real
# server from the harness (support/postgres_cluster.hpp); those carry the `postgres` label, so
# `ctest -LE postgres` runs the rest without a server. Two discoveries of one binary: TEST_SPEC
# becomes `--test-case=...`, and the second element of the second one reaches the binary as its
# own `--test-case-exclude=...` argument.
add_executable(tasks_tests doctest_main.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_store.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_entry.cpp)
target_link_libraries(tasks_tests PRIVATE maintd_tasks maintd_handlers maintd_test_postgres
                                          doctest::doctest)
target_include_directories(tasks_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(tasks_tests PCH fmt json soci sqlite postgres doctest)
doctest_discover_tests(tasks_tests TEST_SPEC "*(postgresql)"
                       PROPERTIES LABELS postgres TIMEOUT 120)
doctest_discover_tests(tasks_tests TEST_SPEC "*" "--test-case-exclude=*(postgresql)"
                       PROPERTIES TIMEOUT 120)

# task_cli_tests: `maintd db migrate|seed` and `maintd task ...` in-process, on SQLite.
add_executable(task_cli_tests doctest_main.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/tasks/test_task_cli.cpp)
target_link_libraries(task_cli_tests PRIVATE maintd_cli doctest::doctest)
target_include_directories(task_cli_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
maintd_target_settings(task_cli_tests)
doctest_discover_tests(task_cli_tests TEST_PREFIX "cli: " PROPERTIES TIMEOUT 120)
