#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// command.exec: a program run with the task's timeout, its output as run events
// (docs/handlers/command.md).
void register_command_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
