#pragma once
// Loads a maintd.yaml from a temp dir the way `maintd validate` does, with the test registry and
// a fake environment, and keeps every diagnostic as validate prints it.
#include <map>
#include <optional>
#include <string>

#include "config/loader.hpp"
#include "support/temp_dir.hpp"
#include "support/test_registry.hpp"

namespace maintd::testing {

struct Loaded {
  config::LoadResult result;
  std::string printed;  // every diagnostic, as validate prints them
};

inline Loaded load(const TempDir& dir, std::map<std::string, std::string> env = {}) {
  static const auto registry = test_registry();
  config::LoadOptions options;
  options.config_path = dir.path() / "maintd.yaml";
  options.handlers = &registry;
  options.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  Loaded loaded{config::load_config(options), {}};
  for (const auto& d : loaded.result.diagnostics.warnings()) loaded.printed += d.to_string() + "\n";
  for (const auto& d : loaded.result.diagnostics.errors()) loaded.printed += d.to_string() + "\n";
  // The temporary directory is outside the working directory: paths print absolute. Show them
  // as a user standing in the config directory would see them.
  const std::string prefix = dir.path().string() + "/";
  for (auto at = loaded.printed.find(prefix); at != std::string::npos;
       at = loaded.printed.find(prefix)) {
    loaded.printed.erase(at, prefix.size());
  }
  return loaded;
}

}  // namespace maintd::testing
