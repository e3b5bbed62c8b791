#include "handlers/health_metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <exception>

#include "handlers/support/database_errors.hpp"
#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;

// A number as a database printed it ("" for NULL: no completed run).
json number_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return std::round(std::stod(text) * 10.0) / 10.0;
}

}  // namespace

json database_metrics(soci::session& session) {
  try {
    TargetSql sql(session);
    if (sql.dialect() == Dialect::postgresql) {
      return {{"server_version", sql.column("SELECT current_setting('server_version')").at(0)},
              {"size_bytes", sql.count("SELECT pg_database_size(current_database())")},
              {"connections", sql.count("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                        "current_database()")}};
    }
    return {{"server_version", sql.column("SELECT sqlite_version()").at(0)},
            {"size_bytes", sql.count("SELECT page_count * page_size FROM pragma_page_count(), "
                                     "pragma_page_size()")}};
  } catch (const std::exception& e) {
    return {{"error", database_error_text(e)}};
  }
}

json run_metrics(soci::session& state, const std::string& since, const std::string& self) {
  TargetSql sql(state);
  SqlParams params;
  params.text("since", since).text("self", self);

  json by_status = json::object();
  for (const auto& row :
       sql.rows("SELECT status, COUNT(*) FROM maintd_runs WHERE COALESCE(finished_at, "
                "heartbeat_at, started_at, created_at) >= :since AND task_name <> :self GROUP BY "
                "status ORDER BY status",
                params)) {
    by_status[row[0]] = std::stoll(row[1]);
  }

  // maintd writes its instants as UTC text (store/timestamp.hpp), which both backends read.
  const std::string took =
      sql.dialect() == Dialect::sqlite
          ? "(julianday(finished_at) - julianday(started_at)) * 86400000.0"
          : "EXTRACT(EPOCH FROM (CAST(finished_at AS timestamptz) - CAST(started_at AS "
            "timestamptz))) * 1000.0";
  const auto row =
      sql.rows(fmt::format("SELECT COUNT(*), AVG({0}), MAX({0}) FROM maintd_runs WHERE "
                           "status = 'completed' AND started_at IS NOT NULL AND "
                           "finished_at >= :since AND task_name <> :self",
                           took),
               params)
          .at(0);
  return {{"by_status", std::move(by_status)},
          {"completed",
           {{"count", std::stoll(row[0])},
            {"avg_ms", number_or_null(row[1])},
            {"max_ms", number_or_null(row[2])}}}};
}

}  // namespace maintd::handlers
