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
# The dashboard's templates (HTML escaped by default): Debian's libmstch-dev, a static library.
find_package(mstch REQUIRED)
if(MAINTD_BUILD_TESTS OR MAINTD_BUILD_FUZZ)
  find_package(doctest REQUIRED)
endif()
if(MAINTD_BUILD_TESTS)
  # The tests' local HTTPS server (tests/support/http_test_server.hpp).
  find_package(OpenSSL REQUIRED)
endif()
if(MAINTD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# SOCI (Debian's libsoci-dev ships no CMake config): the core and the two backends maintd speaks.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
foreach(part core sqlite3 postgresql)
  find_library(SOCI_${part}_LIBRARY soci_${part} REQUIRED)
  add_library(soci::${part} UNKNOWN IMPORTED)
  set_target_properties(soci::${part} PROPERTIES IMPORTED_LOCATION "${SOCI_${part}_LIBRARY}"
                                                 INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
endforeach()
set_property(TARGET soci::sqlite3 soci::postgresql PROPERTY INTERFACE_LINK_LIBRARIES soci::core)
# soci-postgresql.h includes <libpq-fe.h>, which lives under /usr/include/postgresql.
find_package(PostgreSQL REQUIRED)
set_property(TARGET soci::postgresql APPEND PROPERTY INTERFACE_LINK_LIBRARIES PostgreSQL::PostgreSQL)
# UBSan's vptr check needs typeinfo that Debian's libsoci_core does not export; everything that
# uses SOCI is built without that one check under the sanitizers.
set_property(TARGET soci::core APPEND PROPERTY INTERFACE_COMPILE_OPTIONS
                                               $<$<BOOL:${MAINTD_SANITIZE}>:-fno-sanitize=vptr>)

# Boost.Asio and Beast are header-only; spdlog is Debian's shared build on the system fmt.
find_package(Boost 1.74 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)
# libcurl (libcurl4-openssl-dev): the outbound HTTP(S) client (src/outbound). Debian ships no
# CMake config for it; CMake's own FindCURL gives CURL::libcurl.
find_package(CURL 7.83 REQUIRED)
find_package(SQLite3 REQUIRED)
# libsystemd (sd_notify for Type=notify and the watchdog) ships a pkg-config file, no CMake config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
