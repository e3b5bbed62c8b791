#include "handlers/builtin.hpp"

#include <array>
#include <utility>

#include "handlers/claims.hpp"
#include "handlers/command.hpp"
#include "handlers/debug.hpp"
#include "handlers/drafts.hpp"
#include "handlers/health.hpp"
#include "handlers/http_request.hpp"
#include "handlers/jobs.hpp"
#include "handlers/runs_handlers.hpp"
#include "handlers/sql.hpp"
#include "handlers/support/database_errors.hpp"

namespace maintd::handlers {

registry::Registry builtin_registry() {
  registry::Registry families;
  register_debug_handlers(families);
  register_runs_handlers(families);
  register_claims_handlers(families);
  register_jobs_handlers(families);
  register_drafts_handlers(families);
  register_sql_handlers(families);
  register_command_handlers(families);
  register_health_handlers(families);
  register_http_handlers(families);
  // Every handler, whichever family, reports database errors without their bound values: the
  // guard is applied here, once, rather than remembered in each family.
  registry::Registry registry;
  for (const auto& entry : families.types()) {
    registry.add_handler(reporting_database_errors(*entry.handler));
  }

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
