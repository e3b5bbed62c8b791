#include "registry/registry.hpp"

#include <fmt/format.h>

#include <cctype>
#include <stdexcept>

#include "common/suggest.hpp"

namespace maintd::registry {
namespace {

bool is_name_part(std::string_view part) {
  if (part.empty() || !std::islower(static_cast<unsigned char>(part[0]))) return false;
  for (char c : part) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(EventLevel level) {
  switch (level) {
    case EventLevel::debug:
      return "debug";
    case EventLevel::info:
      return "info";
    case EventLevel::warning:
      return "warning";
    case EventLevel::error:
      return "error";
  }
  return "?";
}

bool is_type_name(std::string_view text) {
  const std::size_t dot = text.find('.');
  return dot != std::string_view::npos && is_name_part(text.substr(0, dot)) &&
         is_name_part(text.substr(dot + 1));
}

void Registry::add_handler(HandlerInfo handler) {
  if (!is_type_name(handler.type)) {
    throw std::logic_error(fmt::format(
        "handler type '{}' is not of the form domain.action ([a-z][a-z0-9_]*.[a-z][a-z0-9_]*)",
        handler.type));
  }
  if (handlers_.count(handler.type)) {
    throw std::logic_error(fmt::format("handler type '{}' is registered twice", handler.type));
  }
  const std::string type = handler.type;
  handlers_.emplace(type, std::make_shared<const HandlerInfo>(std::move(handler)));
}

std::optional<std::string> Registry::add_type(const std::string& type,
                                              const std::string& handler_type,
                                              nlohmann::json preset, std::string description) {
  if (!is_type_name(type)) {
    return fmt::format(
        "type '{}' is not of the form domain.action (lowercase letters, digits "
        "and '_', e.g. 'search.reindex')",
        type);
  }
  if (handlers_.count(type) || custom_.count(type)) {
    return fmt::format("type '{}' is already defined", type);
  }
  if (aliases_.count(type)) {
    return fmt::format("type '{}' is already an alias of '{}'", type, aliases_.at(type));
  }
  if (!handlers_.count(handler_type)) {
    std::vector<std::string> names;
    for (const auto& [name, info] : handlers_) names.push_back(name);
    const auto close = closest_matches(handler_type, names, 1);
    return fmt::format("handler '{}' is not registered ({})", handler_type,
                       close.empty() ? fmt::format("handlers: {}", fmt::join(names, ", "))
                                     : fmt::format("did you mean '{}'?", close.front()));
  }
  custom_.emplace(type, CustomType{handler_type, std::move(preset), std::move(description)});
  return std::nullopt;
}

std::optional<std::string> Registry::add_alias(const std::string& legacy,
                                               const std::string& canonical) {
  if (legacy.empty() || legacy.find_first_of(" \t\n") != std::string::npos) {
    return fmt::format("alias '{}' is not a valid name", legacy);
  }
  if (handlers_.count(legacy) || custom_.count(legacy)) {
    return fmt::format("'{}' is a canonical type and cannot also be an alias", legacy);
  }
  if (auto existing = aliases_.find(legacy); existing != aliases_.end()) {
    if (existing->second == canonical) return std::nullopt;
    return fmt::format("alias '{}' already maps to '{}'", legacy, existing->second);
  }
  if (!is_type_name(canonical)) {
    return fmt::format("alias target '{}' is not of the form domain.action", canonical);
  }
  aliases_.emplace(legacy, canonical);
  return std::nullopt;
}

Expected<ResolvedType, std::string> Registry::resolve(const std::string& type) const {
  std::optional<std::string> alias_of;
  std::string canonical = type;
  if (auto alias = aliases_.find(type); alias != aliases_.end()) {
    alias_of = type;
    canonical = alias->second;
  }
  if (auto handler = handlers_.find(canonical); handler != handlers_.end()) {
    return ResolvedType{canonical, handler->second.get(), nlohmann::json::object(), alias_of};
  }
  if (auto custom = custom_.find(canonical); custom != custom_.end()) {
    return ResolvedType{canonical, handlers_.at(custom->second.handler_type).get(),
                        custom->second.preset, alias_of};
  }
  if (alias_of) {
    return Unexpected{
        fmt::format("'{}' is a legacy alias of '{}', which no handler provides (define it under "
                    "'types:' in maintd.yaml, or use a registered type)",
                    type, canonical)};
  }
  std::vector<std::string> names;
  for (const auto& entry : types()) names.push_back(entry.type);
  for (const auto& [legacy, target] : aliases_) names.push_back(legacy);
  const auto close = closest_matches(type, names, 3);
  if (close.empty()) {
    return Unexpected{
        fmt::format("unknown type '{}' (see 'maintd handlers' for the registered types)", type)};
  }
  return Unexpected{
      fmt::format("unknown type '{}' (did you mean '{}'?)", type, fmt::join(close, "', '"))};
}

std::vector<Registry::TypeEntry> Registry::types() const {
  std::map<std::string, TypeEntry> entries;
  for (const auto& [name, handler] : handlers_) {
    entries[name] =
        TypeEntry{name, handler->description, handler.get(), nlohmann::json::object(), false, {}};
  }
  for (const auto& [name, custom] : custom_) {
    entries[name] = TypeEntry{
        name, custom.description, handlers_.at(custom.handler_type).get(), custom.preset, true, {}};
  }
  for (const auto& [legacy, canonical] : aliases_) {
    if (auto entry = entries.find(canonical); entry != entries.end()) {
      entry->second.aliases.push_back(legacy);
    }
  }
  std::vector<TypeEntry> out;
  for (auto& [name, entry] : entries) out.push_back(std::move(entry));
  return out;
}

}  // namespace maintd::registry
