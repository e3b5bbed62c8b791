# maintd_test_suite(): one doctest binary per suite, each TEST_CASE a CTest test of its own.
#
#   maintd_test_suite(<name>
#     SOURCES <files...>           the suite's test files (doctest_main.cpp is added)
#     LINKS <libraries...>         what it tests (doctest is added)
#     [PCH <sets...>]              precompiled third-party headers (cmake/MaintdPrecompiledHeaders)
#     [PREFIX <text>]              prepended to every test name ("http: ")
#     [BACKENDS]                   the cases run on both state database backends and end in
#                                  "<postgresql>" or "<sqlite>" (tests/support/backends.hpp):
#                                  the PostgreSQL ones get the label `postgres`
#     [LABEL <label>]              one label for every case (`ctest -L` takes a regular
#                                  expression: "e2e-postgres" is selected by -L e2e and by
#                                  -L postgres alike)
#     [TIMEOUT <seconds>] [COST <n>]
#     [DEFINITIONS <NAME=value...>]
#     [NEEDS_BINARY])              the tests start the maintd binary (MAINTD_BINARY names it)
#
# Included from the top CMakeLists.txt; suites are declared from tests/, so test sources include
# "support/..." and each other's fixtures relative to tests/.
function(maintd_test_suite name)
  cmake_parse_arguments(PARSE_ARGV 1 suite "BACKENDS;NEEDS_BINARY" "PREFIX;LABEL;TIMEOUT;COST"
                        "SOURCES;LINKS;PCH;DEFINITIONS")
  if(suite_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "maintd_test_suite(${name}): unknown arguments ${suite_UNPARSED_ARGUMENTS}")
  endif()
  if(suite_BACKENDS AND suite_LABEL)
    message(FATAL_ERROR "maintd_test_suite(${name}): BACKENDS labels its cases itself (no LABEL)")
  endif()
  set(tests_dir ${PROJECT_SOURCE_DIR}/tests)
  add_executable(${name} ${tests_dir}/doctest_main.cpp ${suite_SOURCES})
  target_link_libraries(${name} PRIVATE ${suite_LINKS} doctest::doctest)
  target_include_directories(${name} PRIVATE ${tests_dir})
  if(suite_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${suite_DEFINITIONS})
  endif()
  if(suite_NEEDS_BINARY)
    target_compile_definitions(${name} PRIVATE MAINTD_BINARY="$<TARGET_FILE:maintd>")
    add_dependencies(${name} maintd)
  endif()
  if(suite_PCH)
    maintd_target_settings(${name} PCH ${suite_PCH})
  else()
    maintd_target_settings(${name})
  endif()

  set(properties)
  if(suite_TIMEOUT)
    list(APPEND properties TIMEOUT ${suite_TIMEOUT})
  endif()
  if(suite_COST)
    list(APPEND properties COST ${suite_COST})
  endif()
  set(prefix)
  if(suite_PREFIX)
    set(prefix TEST_PREFIX "${suite_PREFIX}")
  endif()
  if(suite_BACKENDS)
    # Two discoveries of one binary. doctest_discover_tests turns TEST_SPEC into `--test-case=...`
    # and passes it as a list, so the second element of the second one reaches the binary as its
    # own `--test-case-exclude=...` argument.
    doctest_discover_tests(${name} ${prefix} TEST_SPEC "*<postgresql>"
                           PROPERTIES LABELS postgres ${properties})
    maintd_discover(${name} "${prefix}" "" "${properties}" TEST_SPEC "*"
                    "--test-case-exclude=*<postgresql>")
  else()
    maintd_discover(${name} "${prefix}" "${suite_LABEL}" "${properties}")
  endif()
endfunction()

# doctest_discover_tests, with a label when there is one. One label only: doctest hands
# PROPERTIES on as a flat list, so a second label would be read as a property name, and every
# property after it shifted by one ("LABELS e2e postgres TIMEOUT 150" set no timeout at all).
function(maintd_discover name prefix label properties)
  if(label)
    list(PREPEND properties LABELS ${label})
  endif()
  if(properties)
    doctest_discover_tests(${name} ${prefix} ${ARGN} PROPERTIES ${properties})
  else()
    doctest_discover_tests(${name} ${prefix} ${ARGN})
  endif()
endfunction()
