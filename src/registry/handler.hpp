#pragma once
// What a handler is to the rest of maintd: a canonical `domain.action` type, a one-line
// description, a config schema, and the function that does the work.
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "registry/schema.hpp"

namespace maintd::registry {

// What one execution of a handler gets. The store and the daemon extend what reaches a handler
// (event log, progress, target databases) through this struct as they land.
struct HandlerContext {
  std::string task_name;
  std::string type;       // canonical
  nlohmann::json config;  // effective: defaults, then type preset, then the task's own
  bool dry_run = false;
  std::stop_token cancelled;  // cooperative cancellation: check between units of work
};

// Returns the run's result (counts, ids); throws to fail the run with the exception's message.
using HandlerFunction = std::function<nlohmann::json(HandlerContext&)>;

struct HandlerInfo {
  std::string type;
  std::string description;
  ConfigSchema schema;
  HandlerFunction run;
};

// `domain.action`: ^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$ (DESIGN.md).
bool is_type_name(std::string_view text);

}  // namespace maintd::registry
