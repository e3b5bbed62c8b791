#include "handlers/builtin.hpp"

#include <array>
#include <utility>

#include "handlers/debug.hpp"

namespace maintd::handlers {

registry::Registry builtin_registry() {
  registry::Registry registry;
  register_debug_handlers(registry);

  // Legacy names from the Curatore guide. Their targets resolve once a handler or a config
  // `types:` entry provides them; until then a task using one fails validation, naming both.
  static constexpr std::array<std::pair<const char*, const char*>, 6> kLegacyAliases = {{
      {"orphan.detect", "assets.detect_orphans"},
      {"stale_run.cleanup", "runs.cleanup_stale"},
      {"gc.cleanup", "runs.cleanup_expired"},
      {"sharepoint.scheduled_sync", "sharepoint.trigger_sync"},
      {"sam.scheduled_pull", "sam.trigger_pull"},
      {"extraction.queue_pending", "extraction.queue_orphans"},
  }};
  for (const auto& [legacy, canonical] : kLegacyAliases) registry.add_alias(legacy, canonical);
  return registry;
}

}  // namespace maintd::handlers
