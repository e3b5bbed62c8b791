#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// health.report: databases reachable and how fast, recent failed and abandoned runs, stale counts
// from the dry runs of the cleanup tasks; fails when a threshold is exceeded
// (docs/handlers/health.md).
void register_health_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
