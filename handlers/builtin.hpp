#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// Every handler compiled into maintd, and the legacy aliases of the Curatore maintenance guide
// (orphan.detect, stale_run.cleanup, gc.cleanup, sharepoint.scheduled_sync, sam.scheduled_pull,
// extraction.queue_pending).
registry::Registry builtin_registry();

}  // namespace maintd::handlers
