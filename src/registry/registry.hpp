#pragma once
// The handler registry: canonical types, legacy aliases and types defined in config.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "registry/handler.hpp"

namespace maintd::registry {

// A type as a task names it, resolved.
struct ResolvedType {
  std::string canonical;                // what runs are recorded under
  const HandlerInfo* handler;           // the code that runs it
  nlohmann::json preset;                // config from a `types:` definition, {} otherwise
  std::optional<std::string> alias_of;  // set when the name written was a legacy alias
};

class Registry {
 public:
  // Registration errors are programming errors (a handler with a malformed or duplicate type):
  // they throw std::logic_error at start-up, never at 3 a.m.
  void add_handler(HandlerInfo handler);
  // A type defined in config: a new canonical name backed by a registered handler with preset
  // config. Returns why it cannot be added, if it cannot.
  std::optional<std::string> add_type(const std::string& type, const std::string& handler_type,
                                      nlohmann::json preset, std::string description);
  // A legacy name for a canonical type. The target need not be registered yet; resolve() says
  // so when a task uses the alias.
  std::optional<std::string> add_alias(const std::string& legacy, const std::string& canonical);

  // Resolves a task's `type`, through an alias if need be; the error names the closest types.
  Expected<ResolvedType, std::string> resolve(const std::string& type) const;

  struct TypeEntry {
    std::string type;
    std::string description;
    const HandlerInfo* handler;
    nlohmann::json preset;
    bool defined_in_config;
    std::vector<std::string> aliases;
  };
  // Every canonical type (handlers and config-defined), sorted, with its aliases.
  std::vector<TypeEntry> types() const;
  const std::map<std::string, std::string>& aliases() const { return aliases_; }

 private:
  struct CustomType {
    std::string handler_type;
    nlohmann::json preset;
    std::string description;
  };
  std::map<std::string, std::shared_ptr<const HandlerInfo>> handlers_;
  std::map<std::string, CustomType> custom_;
  std::map<std::string, std::string> aliases_;  // legacy -> canonical
};

}  // namespace maintd::registry
