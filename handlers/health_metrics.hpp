#pragma once
// What health.report's `include_metrics: true` adds: facts about each database (its server's
// version, its size, its connections) and about maintd's own runs in the window (every status
// counted, how long completed runs took). Each costs a query or two, hence asked for.
#include <soci/session.h>

#include <nlohmann/json.hpp>
#include <string>

namespace maintd::handlers {

// PostgreSQL: {"server_version", "size_bytes", "connections"}; SQLite: {"server_version",
// "size_bytes"}. Never throws: a query that fails (a role without the right) is {"error": ...}.
nlohmann::json database_metrics(soci::session& session);

// maintd's runs (maintd_runs) whose last sign of life is at or after `since`, the health task's
// own (`self`) left out as in the report's counts: {"by_status": {status: count}, "completed":
// {"count", "avg_ms", "max_ms"}}. Throws a DatabaseError when the state database fails.
nlohmann::json run_metrics(soci::session& state, const std::string& since, const std::string& self);

}  // namespace maintd::handlers
