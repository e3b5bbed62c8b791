// The PATH search of maintd: see program_lookup.hpp.
#include "common/program_lookup.hpp"

#include <unistd.h>

namespace maintd::process {
namespace {

namespace fs = std::filesystem;

bool is_executable_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Expected<std::string, LookupFailure> find_program(const std::string& name,
                                                  std::string_view path_variable,
                                                  const fs::path& working_directory) {
  using Kind = LookupFailure::Kind;
  if (name.find('/') != std::string::npos) {
    // Relative to the directory the program starts in, as the child would see it.
    const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : working_directory / name;
    std::error_code error;
    if (!fs::exists(path, error)) return Unexpected{LookupFailure{Kind::missing, path.string()}};
    if (!is_executable_file(path)) {
      return Unexpected{LookupFailure{Kind::not_executable, path.string()}};
    }
    return path.lexically_normal().string();
  }
  std::string_view rest = path_variable;
  while (true) {
    const auto colon = rest.find(':');
    const auto entry = rest.substr(0, colon);
    const fs::path dir = entry.empty() ? fs::path(".") : fs::path(entry);
    const fs::path candidate = (dir.is_absolute() ? dir : working_directory / dir) / name;
    if (is_executable_file(candidate)) return candidate.lexically_normal().string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return Unexpected{LookupFailure{Kind::not_in_path, {}}};
}

std::string path_variable(const std::vector<std::string>& environment) {
  // The last entry wins, as getenv() would have it in the child.
  std::string path(kDefaultPath);
  for (const auto& entry : environment) {
    if (entry.starts_with("PATH=")) path = entry.substr(5);
  }
  return path;
}

}  // namespace maintd::process
