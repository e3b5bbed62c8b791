#pragma once
// ${VAR} and ${VAR:-default} in config values, and where variables come from.
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd::config {

// The process environment in production; a map in tests (no global state to patch).
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment process_environment();

// Replaces ${VAR} (an error when VAR is unset) and ${VAR:-default} (default when unset or
// empty); "$$" is a literal '$'. A lone '$' not followed by '{' or '$' is kept as it is. A result
// longer than `max_size` is an error (config/limits.hpp), and is never built.
Expected<std::string, std::string> expand_variables(
    std::string_view text, const Environment& env,
    std::size_t max_size = std::numeric_limits<std::size_t>::max());

}  // namespace maintd::config
