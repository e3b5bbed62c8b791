#include "cli/config_overrides.hpp"

#include <fmt/format.h>

#include "config/yaml_source.hpp"

namespace maintd::cli {

namespace {

// Whether `schema` declares `key` as text, so that a value is taken as written.
bool is_text_key(const registry::ConfigSchema* schema, const std::string& key) {
  const auto* spec = schema != nullptr ? schema->find(key) : nullptr;
  if (spec == nullptr) return false;
  using registry::ValueType;
  return spec->type == ValueType::string || spec->type == ValueType::identifier ||
         spec->type == ValueType::database;
}

}  // namespace

Expected<nlohmann::json, std::string> parse_overrides(const std::vector<std::string>& assignments,
                                                      const registry::ConfigSchema* schema) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& assignment : assignments) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Unexpected{fmt::format(
          "--set '{}': expected key=value (e.g. --set timeout_minutes=30)", assignment)};
    }
    const std::string key = assignment.substr(0, equals);
    const std::string text = assignment.substr(equals + 1);
    // A text key's unquoted value as written (YAML would read 00042 as 42 and true as a
    // boolean); a quoted one still goes through YAML, which removes the quotes.
    if (is_text_key(schema, key) && !text.empty() && text.front() != '"' && text.front() != '\'') {
      out[key] = text;
      continue;
    }
    // Type the value as a YAML scalar, exactly as it would read in a schedule file; no
    // ${VAR} expansion or *_file reading here: the shell already did what the user wanted.
    config::SourceMap map("--set " + key);
    config::Diagnostics diagnostics;
    config::YamlReadOptions options{[](const std::string&) { return std::nullopt; }, {}, {}};
    auto value = config::read_yaml(text.empty() ? "''" : text, map, options, diagnostics);
    if (!value || diagnostics.has_errors() || value->is_object() || value->is_array()) {
      return Unexpected{fmt::format(
          "--set {}={}: the value must be a single scalar (quote it if it holds ':' or '#')", key,
          text)};
    }
    out[key] = *value;
  }
  return out;
}

}  // namespace maintd::cli
