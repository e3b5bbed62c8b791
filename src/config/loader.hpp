#pragma once
#include <filesystem>
#include <optional>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/environment.hpp"

namespace maintd::config {

struct LoadOptions {
  std::filesystem::path config_path;
  const registry::Registry* handlers = nullptr;  // the built-in registry; copied, never changed
  Environment env = process_environment();
};

struct LoadResult {
  std::optional<Config> config;  // set only when there is no error at all
  Diagnostics diagnostics;       // every error in every file, and warnings (legacy aliases, ...)
};

// Reads maintd.yaml and every schedule file it names, validating all of it in one pass.
LoadResult load_config(const LoadOptions& options);

// --config, else $MAINTD_CONFIG, else /etc/maintd/maintd.yaml.
std::filesystem::path resolve_config_path(const std::optional<std::string>& flag,
                                          const Environment& env);

}  // namespace maintd::config
