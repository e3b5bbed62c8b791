# Precompiled third-party headers, per target (maintd_target_settings(<target> PCH <sets...>)).
#
# Why: most translation units parse nlohmann/json, SOCI (which drags in a good part of Boost),
# fmt, spdlog, Boost.Asio/Beast or doctest, and parsing them was about a third of each compile,
# twice per CI run (release and asan). A target's precompiled header is parsed once and then
# loaded by each of its sources. Only third-party headers go in, never our own: they do not change
# while we work, so an edit never rebuilds a precompiled header.
#
# Each set names headers that every target asking for it can include: its include directories and
# compile definitions come with the libraries that target links (spdlog's SPDLOG_FMT_EXTERNAL,
# libpq's include directory). Targets with one or two sources gain nothing and take no PCH.
#
# On by default only in unoptimised builds (the dev and asan presets). With -O2 (release), GCC 12's
# flow-sensitive warnings depend on inlining, which a precompiled header changes: its known false
# -Warray-bounds on std::string's operator+ came out in two files (skipped in src/CMakeLists.txt)
# and, under -Werror, any other file could follow. Those warnings are inactive at -O0.
# -DMAINTD_PCH=ON/OFF overrides (OFF also checks that every file includes what it uses).
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(maintd_pch_default ON)
else()
  set(maintd_pch_default OFF)
endif()
option(MAINTD_PCH "Precompile the heavy third-party headers" ${maintd_pch_default})

set(maintd_pch_fmt <fmt/format.h> <fmt/chrono.h>)
set(maintd_pch_json <nlohmann/json.hpp>)
set(maintd_pch_soci <soci/soci.h>)
set(maintd_pch_sqlite <soci/sqlite3/soci-sqlite3.h>)
set(maintd_pch_postgres <soci/postgresql/soci-postgresql.h>)
set(maintd_pch_spdlog <spdlog/spdlog.h>)
set(maintd_pch_asio <boost/asio/io_context.hpp> <boost/asio/signal_set.hpp>
                    <boost/asio/steady_timer.hpp> <boost/asio/thread_pool.hpp>)
set(maintd_pch_beast <boost/asio/ip/tcp.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp>)
set(maintd_pch_yaml <yaml-cpp/yaml.h>)
set(maintd_pch_cli11 <CLI/CLI.hpp>)
set(maintd_pch_doctest <doctest/doctest.h>)

# No set of standard headers: they come with the ones above anyway.
#
# maintd_precompile(<target> <set>...)
function(maintd_precompile target)
  if(NOT MAINTD_PCH)
    return()
  endif()
  set(headers)
  foreach(set IN LISTS ARGN)
    if(NOT DEFINED maintd_pch_${set})
      message(FATAL_ERROR "maintd_precompile(${target}): no header set '${set}'")
    endif()
    list(APPEND headers ${maintd_pch_${set}})
  endforeach()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
