#include "config/overrides.hpp"

#include <fmt/format.h>

namespace maintd::config {

Expected<nlohmann::json, std::vector<std::string>> apply_overrides(
    const nlohmann::json& base, const nlohmann::json& overrides,
    const registry::ConfigSchema& schema, const std::set<std::string>& databases,
    std::string_view label) {
  nlohmann::json merged = base.is_object() ? base : nlohmann::json::object();
  for (const auto& [key, value] : overrides.items()) merged[key] = value;
  std::vector<std::string> errors;
  for (const auto& issue : schema.check(merged, databases, true)) {
    if (!issue.key.empty() && overrides.contains(issue.key)) {
      errors.push_back(fmt::format("{} {}: {}", label, issue.key, issue.message));
    } else if (issue.key.empty() || issue.message.rfind("missing required key", 0) == 0 ||
               issue.message.rfind("unknown key", 0) == 0) {
      errors.push_back(fmt::format("config: {} (pass it with {})", issue.message, label));
    } else {
      errors.push_back(fmt::format("config.{}: {}", issue.key, issue.message));
    }
  }
  if (!errors.empty()) return Unexpected{std::move(errors)};
  return schema.with_defaults(merged);
}

}  // namespace maintd::config
