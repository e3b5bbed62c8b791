#include "config/fields.hpp"

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/json_kind.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"

namespace maintd::config {

using nlohmann::json;

std::string describe_value(const json& value) {
  auto shown = [](std::string text) {
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
  };
  if (value.is_string()) return fmt::format("a string ('{}')", shown(value.get<std::string>()));
  if (value.is_boolean() || value.is_number()) {
    return fmt::format("{} ({})", json_value_kind(value), json_text(value));
  }
  return json_value_kind(value);  // a list, a map, nothing: without the value
}

Fields::Fields(const json& object, std::string pointer, const SourceMap& map,
               Diagnostics& diagnostics, std::string prefix)
    : object_(object),
      pointer_(std::move(pointer)),
      map_(map),
      diagnostics_(diagnostics),
      prefix_(std::move(prefix)) {}

void Fields::allow_only(std::initializer_list<std::string_view> known) {
  if (!object_.is_object()) return;
  std::vector<std::string> names(known.begin(), known.end());
  for (const auto& [key, value] : object_.items()) {
    bool ok = false;
    for (auto name : known) ok = ok || name == key;
    if (ok) continue;
    const auto close = closest_matches(key, names, 1);
    diagnostics_.error(key_at(key), close.empty()
                                        ? fmt::format("unknown key '{}{}' (known keys: {})",
                                                      prefix_, key, fmt::join(names, ", "))
                                        : fmt::format("unknown key '{}{}' (did you mean '{}'?)",
                                                      prefix_, key, close.front()));
  }
}

bool Fields::has(const std::string& key) const {
  return object_.is_object() && object_.contains(key) && !object_.at(key).is_null();
}

bool Fields::failed(const std::string& key) const {
  return map_.failed(pointer_of(key));
}

const json* Fields::raw(const std::string& key) const {
  return has(key) ? &object_.at(key) : nullptr;
}

std::string Fields::pointer_of(const std::string& key) const {
  return child_pointer(pointer_, key);
}

Location Fields::at(const std::string& key) const {
  return map_.value(pointer_of(key));
}
Location Fields::key_at(const std::string& key) const {
  return map_.key(pointer_of(key));
}
Location Fields::here() const {
  return map_.value(pointer_);
}

void Fields::error(const std::string& key, const std::string& message) {
  diagnostics_.error(at(key), fmt::format("{}: {}", name_of(key), message));
}

std::optional<std::string> Fields::string(const std::string& key, bool required) {
  const json* value = raw(key);
  if (value == nullptr) {
    if (required && !failed(key)) {
      diagnostics_.error(here(), fmt::format("missing required key '{}'", name_of(key)));
    }
    return std::nullopt;
  }
  if (!value->is_string()) {
    // A plain scalar that looked like a number or boolean is still text to a string field.
    if (value->is_number() || value->is_boolean()) return value->dump();
    error(key, fmt::format("expected a string, got {}", describe_value(*value)));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<bool> Fields::boolean(const std::string& key) {
  const json* value = raw(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    error(key, fmt::format("expected true or false, got {}", describe_value(*value)));
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<std::int64_t> Fields::integer(const std::string& key, std::int64_t min,
                                            std::int64_t max) {
  const json* value = raw(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer()) {
    error(key,
          fmt::format("expected a whole number {}-{}, got {}", min, max, describe_value(*value)));
    return std::nullopt;
  }
  const auto n = value->get<std::int64_t>();
  if (n < min || n > max) {
    error(key, fmt::format("{} is out of range {}-{}", n, min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::chrono::seconds> Fields::duration(const std::string& key) {
  const json* value = raw(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) {
    error(key, fmt::format("{} has no unit (write {}s, {}m, {}h or {}d)", value->dump(),
                           value->dump(), value->dump(), value->dump(), value->dump()));
    return std::nullopt;
  }
  if (!value->is_string()) {
    error(key, fmt::format("expected a duration such as 90s, 15m, 2h or 1d, got {}",
                           describe_value(*value)));
    return std::nullopt;
  }
  auto parsed = parse_duration(value->get<std::string>());
  if (!parsed) {
    error(key, parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::string> Fields::choice(const std::string& key,
                                          const std::vector<std::string>& allowed) {
  auto text = string(key);
  if (!text) return std::nullopt;
  for (const auto& option : allowed) {
    if (option == *text) return text;
  }
  error(key, fmt::format("'{}' is not one of {}{}", *text, fmt::join(allowed, ", "),
                         did_you_mean(*text, allowed)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> Fields::string_list(const std::string& key) {
  const json* value = raw(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return std::vector<std::string>{value->get<std::string>()};
  if (!value->is_array()) {
    error(key, fmt::format("expected a list of strings, got {}", describe_value(*value)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& element = (*value)[i];
    if (!element.is_string()) {
      diagnostics_.error(map_.value(child_pointer(pointer_of(key), i)),
                         fmt::format("{}[{}]: expected a string, got {}", name_of(key), i,
                                     describe_value(element)));
      return std::nullopt;
    }
    out.push_back(element.get<std::string>());
  }
  return out;
}

}  // namespace maintd::config
