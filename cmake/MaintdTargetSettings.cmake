# One place that decides how every project target is compiled: warnings are errors, and the
# sanitizers are switched on per target when MAINTD_SANITIZE is set (the `asan` preset).
# Third-party code is never built here, so these flags only ever apply to our own sources.
function(maintd_target_settings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wimplicit-fallthrough)
  if(MAINTD_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
