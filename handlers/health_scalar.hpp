#pragma once
// health.report's sql probes: one number read from a target database, in a read-only way, with
// every way a query can fail to be one number said plainly.
#include <soci/session.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace maintd::handlers {

struct ScalarReading {
  nlohmann::json value;  // the number (an integer when the database gave one), null on failure
  // Empty, or why there is no number, as one word: connect, query, no_row, rows, columns,
  // not_a_number.
  std::string error;
  std::string reason;  // the failure, for people (no value bound to anything: there are none)
  double connect_ms = 0;
  double query_ms = 0;
  bool ok() const { return error.empty(); }
};

// Opens a session with `open` and runs `query` (comments removed) read-only: on PostgreSQL in a
// READ ONLY transaction, rolled back; on SQLite with PRAGMA query_only on the session, which is
// its own and closed after. The query must return one row of one number. Never throws: a
// database error is a reading with error `connect` or `query` and the database's reason.
ScalarReading read_scalar(const std::function<std::unique_ptr<soci::session>()>& open,
                          const std::string& query);

}  // namespace maintd::handlers
