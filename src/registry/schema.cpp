#include "registry/schema.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "common/duration.hpp"
#include "common/json_kind.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"

namespace maintd::registry {
namespace {

using nlohmann::json;

bool is_plain_identifier(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) {
    return false;
  }
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// What a value looks like, for "expected an integer, got a string ('abc')".
std::string describe(const json& value) {
  const std::string kind = json_value_kind(value);
  if (value.is_array() || value.is_object() || value.is_null() || value.is_discarded()) {
    return kind;
  }
  std::string shown = value.is_string() ? value.get<std::string>() : json_text(value);
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  return fmt::format("{} ('{}')", kind, shown);
}

std::optional<std::string> check_range(const KeySpec& spec, double value,
                                       const std::string& shown) {
  if (spec.minimum && value < *spec.minimum) {
    return fmt::format("{} is below the minimum {}", shown, *spec.minimum);
  }
  if (spec.maximum && value > *spec.maximum) {
    return fmt::format("{} is above the maximum {}", shown, *spec.maximum);
  }
  return std::nullopt;
}

std::optional<std::string> check_value(const KeySpec& spec, const json& value,
                                       const std::set<std::string>& databases) {
  if (spec.may_be_unset &&
      (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()))) {
    return std::nullopt;
  }
  auto expected = [&](std::string_view what) {
    return fmt::format("expected {}, got {}", what, describe(value));
  };
  switch (spec.type) {
    case ValueType::string:
      if (!value.is_string()) return expected("a string");
      if (!spec.allowed.empty()) {
        const auto& text = value.get_ref<const std::string&>();
        for (const auto& allowed : spec.allowed) {
          if (allowed == text) return std::nullopt;
        }
        return fmt::format("'{}' is not one of: {}", text, fmt::join(spec.allowed, ", "));
      }
      return std::nullopt;
    case ValueType::integer:
      if (!value.is_number_integer()) return expected("an integer");
      return check_range(spec, value.get<double>(), json_text(value));
    case ValueType::number:
      if (!value.is_number()) return expected("a number");
      return check_range(spec, value.get<double>(), json_text(value));
    case ValueType::boolean:
      if (!value.is_boolean()) return expected("true or false");
      return std::nullopt;
    case ValueType::duration: {
      if (!value.is_string()) return expected("a duration such as 90s, 15m, 2h or 1d");
      auto parsed = parse_duration(value.get_ref<const std::string&>());
      if (!parsed) return parsed.error();
      return check_range(spec, static_cast<double>(parsed->count()), value.get<std::string>());
    }
    case ValueType::identifier:
      if (!value.is_string()) return expected("an SQL identifier");
      if (!is_sql_identifier(value.get_ref<const std::string&>())) {
        return fmt::format(
            "'{}' is not an SQL identifier (letters, digits and '_', not starting "
            "with a digit; optionally 'schema.' before it)",
            value.get<std::string>());
      }
      return std::nullopt;
    case ValueType::database: {
      if (!value.is_string()) return expected("the name of a database under 'databases:'");
      const auto& name = value.get_ref<const std::string&>();
      if (databases.count(name)) return std::nullopt;
      if (databases.empty()) {
        return fmt::format(
            "unknown database '{}': no databases are declared (add it under "
            "'databases:' in maintd.yaml)",
            name);
      }
      const auto close =
          closest_matches(name, std::vector<std::string>(databases.begin(), databases.end()), 1);
      return fmt::format("unknown database '{}' ({}declared: {})", name,
                         close.empty() ? "" : fmt::format("did you mean '{}'? ", close.front()),
                         fmt::join(databases, ", "));
    }
    case ValueType::string_list:
    case ValueType::identifier_list:
      if (!value.is_array()) return expected("a list of strings");
      for (const auto& element : value) {
        if (!element.is_string())
          return fmt::format("list items must be strings, got {}", describe(element));
        if (spec.type == ValueType::identifier_list &&
            !is_sql_identifier(element.get_ref<const std::string&>())) {
          return fmt::format("'{}' is not an SQL identifier", element.get<std::string>());
        }
      }
      return std::nullopt;
    case ValueType::integer_list:
      if (!value.is_array()) return expected("a list of integers");
      for (const auto& element : value) {
        if (!element.is_number_integer()) {
          return fmt::format("list items must be integers, got {}", describe(element));
        }
        if (auto problem = check_range(spec, element.get<double>(), json_text(element))) {
          return problem;
        }
      }
      return std::nullopt;
    case ValueType::object:
      if (!value.is_object()) return expected("a map");
      return std::nullopt;
    case ValueType::map_list:
      if (!value.is_array()) return expected("a list of maps");
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_object()) {
          return fmt::format("item {}: expected a map, got {}", i + 1, describe(value[i]));
        }
      }
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ValueType type) {
  switch (type) {
    case ValueType::string:
      return "string";
    case ValueType::integer:
      return "integer";
    case ValueType::number:
      return "number";
    case ValueType::boolean:
      return "boolean";
    case ValueType::duration:
      return "duration";
    case ValueType::identifier:
      return "identifier";
    case ValueType::database:
      return "database";
    case ValueType::string_list:
      return "list of strings";
    case ValueType::identifier_list:
      return "list of identifiers";
    case ValueType::integer_list:
      return "list of integers";
    case ValueType::object:
      return "map";
    case ValueType::map_list:
      return "list of maps";
  }
  return "?";
}

bool is_sql_identifier(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return is_plain_identifier(text);
  return is_plain_identifier(text.substr(0, dot)) && is_plain_identifier(text.substr(dot + 1));
}

const KeySpec* ConfigSchema::find(std::string_view name) const {
  for (const auto& key : keys_) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

std::vector<SchemaIssue> ConfigSchema::check(const json& config,
                                             const std::set<std::string>& declared_databases,
                                             bool require_all) const {
  std::vector<SchemaIssue> issues;
  if (!config.is_object()) {
    issues.push_back({"", fmt::format("config must be a map, got {}", describe(config))});
    return issues;
  }
  std::vector<std::string> names;
  for (const auto& key : keys_) names.push_back(key.name);
  for (const auto& [name, value] : config.items()) {
    const KeySpec* spec = find(name);
    if (spec == nullptr) {
      const auto close = closest_matches(name, names, 1);
      issues.push_back(
          {name, close.empty()
                     ? fmt::format("unknown key '{}' (this handler takes: {})", name,
                                   names.empty() ? std::string("no config")
                                                 : fmt::format("{}", fmt::join(names, ", ")))
                     : fmt::format("unknown key '{}' (did you mean '{}'?)", name, close.front())});
      continue;
    }
    if (auto problem = check_value(*spec, value, declared_databases)) {
      issues.push_back({name, std::move(*problem)});
    } else if (spec->check_items && !value.is_null() &&
               !(spec->may_be_unset && value.is_string() &&
                 value.get_ref<const std::string&>().empty())) {
      for (auto& message : spec->check_items(value, declared_databases)) {
        issues.push_back({name, std::move(message)});
      }
    }
  }
  if (require_all) {
    for (const auto& key : keys_) {
      if (key.required && !config.contains(key.name)) {
        issues.push_back({key.name, fmt::format("missing required key '{}' ({}: {})", key.name,
                                                to_string(key.type), key.description)});
      }
    }
    if (issues.empty() && rules_) issues = rules_(config);
  }
  return issues;
}

json ConfigSchema::with_defaults(const json& config) const {
  json out = config.is_object() ? config : json::object();
  for (const auto& key : keys_) {
    if (!out.contains(key.name) && !key.default_value.is_null()) out[key.name] = key.default_value;
  }
  return out;
}

json ConfigSchema::to_json() const {
  json keys = json::array();
  for (const auto& key : keys_) {
    json entry = {{"name", key.name},
                  {"type", to_string(key.type)},
                  {"required", key.required},
                  {"description", key.description}};
    if (!key.default_value.is_null()) entry["default"] = key.default_value;
    if (key.minimum) entry["minimum"] = *key.minimum;
    if (key.maximum) entry["maximum"] = *key.maximum;
    if (!key.allowed.empty()) entry["allowed"] = key.allowed;
    if (key.may_be_unset) entry["may_be_unset"] = true;
    keys.push_back(std::move(entry));
  }
  return keys;
}

}  // namespace maintd::registry
