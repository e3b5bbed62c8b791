# The layering rules of docs/design.md, checked from the includes: each rule names a directory and
# the directories its files must not include. Run as a CTest test (tests/layers/layers_tests.cmake):
#   cmake -DSOURCE_DIR=<tree> -P check_layers.cmake
# A violation prints "<file>:<line>: <dir> must not include <header> (<why>)" and fails.
cmake_policy(VERSION 3.20)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_layers.cmake: pass -DSOURCE_DIR=<the source tree>")
endif()

# <dir>|<forbidden dirs, comma-separated>|<why>
set(rules
  "src/common|config,connection,cron,outbound,registry,tasks,store,scheduler,service,http,serve,cli,handlers|the bottom layer: every other layer uses it"
  "src/outbound|config,connection,cron,registry,tasks,store,scheduler,service,http,serve,cli,handlers|the outbound HTTP client is a tool of handlers, config and the scheduler: it knows none of them"
  "src/connection|config,tasks,store,scheduler,service,http,serve,cli,handlers|a database location is read by config and opened by store"
  "src/cron|config,connection,registry,tasks,store,scheduler,service,http,serve,cli,handlers|cron expressions know no I/O"
  "src/registry|config,tasks,store,scheduler,service,http,serve,cli,handlers|handlers are registered without knowing who runs them"
  "src/config|tasks,store,scheduler,service,http,serve,cli,handlers|configuration is read before anything uses it"
  "src/store|config,tasks,scheduler,service,http,serve,cli,handlers|the store persists rows and knows no config types"
  "src/tasks|scheduler,service,http,serve,cli,handlers|the effective task set is built before anyone schedules it"
  "src/scheduler|service,http,serve,cli,handlers|the scheduler knows handlers only through the registry"
  "src/service|http,serve,cli,handlers|the interfaces call the service, not the other way round"
  "src/http|store,cli,serve,handlers|the HTTP layer goes through the service"
  "src/cli|http|the CLI starts a daemon through src/serve without knowing HTTP"
  "handlers|store,scheduler,service,http,serve,cli,tasks,config|a handler sees only its context")

set(violations 0)
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 dir)
  list(GET parts 1 forbidden)
  list(GET parts 2 why)
  string(REPLACE "," ";" forbidden "${forbidden}")
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" lines)
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]+\"([a-z_]+)/([^\"]+)\"")
        set(layer "${CMAKE_MATCH_1}")
        set(header "${CMAKE_MATCH_1}/${CMAKE_MATCH_2}")
        if(layer IN_LIST forbidden)
          file(RELATIVE_PATH shown "${SOURCE_DIR}" "${file}")
          message("${shown}:${number}: ${dir} must not include ${header} (${why})")
          math(EXPR violations "${violations} + 1")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "${violations} include(s) break the layering rules of docs/design.md")
endif()
message("the includes follow the layering rules of docs/design.md")
