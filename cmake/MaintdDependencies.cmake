# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
# Packages that ship no CMake config (cctz) are found by header and library name.
find_path(CCTZ_INCLUDE_DIR cctz/time_zone.h REQUIRED)
find_library(CCTZ_LIBRARY cctz REQUIRED)
add_library(cctz::cctz UNKNOWN IMPORTED)
set_target_properties(cctz::cctz PROPERTIES IMPORTED_LOCATION "${CCTZ_LIBRARY}"
                                            INTERFACE_INCLUDE_DIRECTORIES "${CCTZ_INCLUDE_DIR}")

find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
if(MAINTD_BUILD_TESTS OR MAINTD_BUILD_FUZZ)
  find_package(doctest REQUIRED)
endif()
if(MAINTD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
