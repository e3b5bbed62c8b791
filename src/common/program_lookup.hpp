#pragma once
// Where a program is, decided before it runs: the one PATH search of maintd (the command.exec
// handler and alert commands both start programs through process::run_child). Deciding it here
// rather than leaving it to execvp lets a typo show as "not found in PATH" before a run starts
// (a dry run resolves it too) and lets the caller say which PATH was searched.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace maintd::process {

// PATH when the environment a program gets has none (what execvp assumes, less the cwd).
inline constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Why a program was not found. `path` is where it was looked for, for a name with a '/'.
struct LookupFailure {
  enum class Kind {
    missing,         // a name with a '/': nothing there
    not_executable,  // a name with a '/': there, but not an executable regular file
    not_in_path,     // a bare name: in no directory of PATH
  };
  Kind kind = Kind::not_in_path;
  std::string path;
};

// The program `name` as the child started in `working_directory` would find it: a name with a
// '/' is a path (relative to `working_directory`); a bare name is looked for in each directory
// of `path_variable` in turn (an empty entry is ".", a relative one is relative to
// `working_directory`), the first executable regular file wins. The answer is an absolute,
// lexically normal path when `working_directory` is absolute.
Expected<std::string, LookupFailure> find_program(const std::string& name,
                                                  std::string_view path_variable,
                                                  const std::filesystem::path& working_directory);

// PATH as `environment` (NAME=value entries, the child's) has it; kDefaultPath without one.
std::string path_variable(const std::vector<std::string>& environment);

}  // namespace maintd::process
