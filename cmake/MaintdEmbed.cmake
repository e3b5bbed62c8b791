# maintd_embed_files(<target> BASE_DIR <dir> NAMESPACE <ns> HEADER <path.hpp> FILES <files...>)
#
# Compiles files of the source tree into <target>: at build time, cmake/embed_files.cmake (CMake
# alone, no other tool) writes <build>/generated/<HEADER> and a .cpp beside it holding each
# file's bytes, found by its path below BASE_DIR (http/web_files.hpp: "dashboard.css",
# "templates/page.mustache"). A changed file regenerates them; the binary needs nothing at run time.
function(maintd_embed_files target)
  cmake_parse_arguments(PARSE_ARGV 1 embed "" "BASE_DIR;NAMESPACE;HEADER" "FILES")
  if(NOT embed_BASE_DIR OR NOT embed_NAMESPACE OR NOT embed_HEADER OR NOT embed_FILES)
    message(FATAL_ERROR "maintd_embed_files(${target}): BASE_DIR, NAMESPACE, HEADER and FILES")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated)
  string(REGEX REPLACE "\\.hpp$" ".cpp" source ${embed_HEADER})
  set(hpp ${out_dir}/${embed_HEADER})
  set(cpp ${out_dir}/${source})
  # A list cannot cross a custom command's argument intact: '|' separates the files instead.
  string(REPLACE ";" "|" files_argument "${embed_FILES}")
  set(script ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake)
  add_custom_command(
    OUTPUT ${hpp} ${cpp}
    COMMAND ${CMAKE_COMMAND} -DBASE_DIR=${embed_BASE_DIR} -DFILES=${files_argument}
            -DOUTPUT_HPP=${hpp} -DOUTPUT_CPP=${cpp} -DNAMESPACE=${embed_NAMESPACE} -P ${script}
    DEPENDS ${embed_FILES} ${script}
    COMMENT "Embedding ${embed_BASE_DIR} into ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${hpp} ${cpp})
  target_include_directories(${target} PUBLIC ${out_dir})
endfunction()
