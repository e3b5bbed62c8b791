# One place that decides how every project target is compiled: warnings are errors, and the
# sanitizers are switched on per target when MAINTD_SANITIZE is set (the `asan` preset).
# Third-party code is never built here, so these flags only ever apply to our own sources.
#
# maintd_target_settings(<target> [PCH <set>...]): PCH names the precompiled third-party header
# sets the target's sources share (cmake/MaintdPrecompiledHeaders.cmake).
include(MaintdPrecompiledHeaders)

function(maintd_target_settings target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PCH")
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wimplicit-fallthrough)
  if(MAINTD_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(arg_PCH)
    maintd_precompile(${target} ${arg_PCH})
  endif()
endfunction()
