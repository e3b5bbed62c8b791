// The one PATH search (command.exec, alert commands): bare names through PATH, relative entries
// and names against the working directory, and the three ways a program is not found.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/program_lookup.hpp"
#include "support/temp_dir.hpp"

using maintd::process::find_program;
using maintd::process::LookupFailure;
using maintd::process::path_variable;
using Kind = LookupFailure::Kind;

TEST_CASE("program lookup: found through PATH or by path, or why not") {
  maintd::testing::TempDir dir;
  const auto root = dir.path();
  const auto tool = dir.write("bin/tool", "#!/bin/sh\n");
  ::chmod(tool.c_str(), 0755);
  const auto plain = dir.write("bin/plain", "not a program\n");
  dir.write("other/.keep", "");

  struct Row {
    const char* what;
    std::string name;
    std::string path;
    std::filesystem::path working_directory;
    std::string found;              // empty: not found
    Kind kind = Kind::not_in_path;  // when not found
    std::string failed_at = {};     // LookupFailure::path
  };
  const Row rows[] = {
      {"a bare name in PATH", "tool", (root / "other").string() + ":" + (root / "bin").string(),
       "/", tool.string()},
      {"a relative PATH entry", "tool", "bin", root, tool.string()},
      {"an empty PATH entry is the working directory", "tool", "/nonexistent:", root / "bin",
       tool.string()},
      {"a relative path, normalised", "./bin/../bin/tool", "", root, tool.string()},
      {"an absolute path", tool.string(), "", "/", tool.string()},
      {"in no PATH directory", "tool", (root / "other").string(), "/", "", Kind::not_in_path},
      {"a non-executable file in PATH is passed over", "plain", (root / "bin").string(), "/", "",
       Kind::not_in_path},
      {"a path to nothing", "./nothing.sh", "", root, "", Kind::missing,
       (root / "./nothing.sh").string()},
      {"a path to a file that is no program", plain.string(), "", "/", "", Kind::not_executable,
       plain.string()},
      {"a path to a directory", (root / "bin").string(), "", "/", "", Kind::not_executable,
       (root / "bin").string()},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    const auto found = find_program(row.name, row.path, row.working_directory);
    if (!row.found.empty()) {
      REQUIRE(found.has_value());
      CHECK(found.value() == row.found);
    } else {
      REQUIRE_FALSE(found.has_value());
      CHECK(found.error().kind == row.kind);
      CHECK(found.error().path == row.failed_at);
    }
  }
}

TEST_CASE("program lookup: PATH as the child's environment has it") {
  struct Row {
    std::vector<std::string> environment;
    std::string path;
  };
  const Row rows[] = {
      {{}, "/usr/local/bin:/usr/bin:/bin"},
      {{"HOME=/root", "PATHS=no"}, "/usr/local/bin:/usr/bin:/bin"},
      {{"PATH=/opt/bin:/bin", "HOME=/root"}, "/opt/bin:/bin"},
      {{"PATH="}, ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.path);
    CHECK(path_variable(row.environment) == row.path);
  }
}
