#pragma once
// The runs.* family: runs stuck in a non-terminal state (runs.cleanup_stale), the pre-scrape
// decision for one portal (runs.check_resume), and the retention of finished runs
// (runs.cleanup_expired), on the application's own runs table or on maintd's own history.
// See docs/handlers/runs.md.
#include "registry/registry.hpp"

namespace maintd::handlers {

void register_runs_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
