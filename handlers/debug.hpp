#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// debug.noop: does nothing (optionally for a while, or by failing), for tests and the demo.
void register_debug_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
