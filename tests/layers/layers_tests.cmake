# The layering rules of docs/design.md, read from the includes (check_layers.cmake), and a tree
# that breaks one on purpose, so that the check is known to fail when it should.
add_test(NAME "layers: the includes follow the layering rules of docs/design.md"
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/layers/check_layers.cmake)
add_test(NAME "layers: an include across a rule fails the check, naming the file, line and rule"
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/layers/bad_tree
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/layers/check_layers.cmake)
set_tests_properties(
  "layers: an include across a rule fails the check, naming the file, line and rule"
  PROPERTIES PASS_REGULAR_EXPRESSION
             "src/http/reaches_into_store.hpp:4: src/http must not include store/run_store.hpp \\(the HTTP layer goes through the service\\).*1 include\\(s\\) break")
