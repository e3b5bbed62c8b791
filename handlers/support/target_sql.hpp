#pragma once
// What every SQL handler needs to talk to a target database (the application's own, named under
// `databases:`) without knowing which backend it is: quoted identifiers, timestamps bound as
// values, the few fragments where SQLite and PostgreSQL differ, and statements whose parameters
// are always bound, never spliced. A statement that fails throws a DatabaseError whose message
// quotes none of the values bound to it (database_errors.hpp).
//
// Timestamps in the target's tables: on PostgreSQL, `timestamptz` or `timestamp` columns (a naive
// `timestamp` is read as UTC: target sessions run with `TimeZone=UTC`, see
// store/target_session.cpp); on SQLite, ISO-8601 text as `CURRENT_TIMESTAMP` or most ORMs write it
// ("2026-11-25 10:00:00", with or without fractional seconds, 'T' or 'Z'), compared through
// julianday() so that both spellings order correctly.
#include <soci/row.h>
#include <soci/session.h>
#include <soci/statement.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handlers/support/database_errors.hpp"
#include "handlers/support/timestamps.hpp"

namespace maintd::handlers {

enum class Dialect { sqlite, postgresql };
Dialect dialect_of(soci::session& session);

// `name` or `schema.name`, checked (registry::is_sql_identifier) and double-quoted part by part:
// "schema"."name". Config validation rejects non-identifiers first; this refuses them again
// (std::invalid_argument naming the value), so nothing unchecked is ever spliced into SQL.
std::string quote_identifier(std::string_view identifier);

// Values bound to named parameters (`:cutoff`). Ids travel as text: an id column may be an
// integer or a UUID, and both backends convert a text parameter compared with the column.
class SqlParams {
 public:
  SqlParams& text(std::string name, std::string value);
  SqlParams& integer(std::string name, long long value);
  SqlParams& real(std::string name, double value);
  bool empty() const { return texts_.empty() && integers_.empty() && reals_.empty(); }
  // Every value, as text: what an error message must not quote (database_errors.hpp).
  std::vector<std::string> values() const;

 private:
  friend class TargetSql;
  // deques: soci::use keeps references, so elements must not move as more are added.
  std::deque<std::pair<std::string, std::string>> texts_;
  std::deque<std::pair<std::string, long long>> integers_;
  std::deque<std::pair<std::string, double>> reals_;
};

class TargetSql {
 public:
  explicit TargetSql(soci::session& session);

  Dialect dialect() const { return dialect_; }
  soci::session& session() { return session_; }

  // The bound value of an instant, as this backend's timestamp columns hold it, to the
  // millisecond (timestamps.hpp): SQLite "2026-11-25 12:00:00.250", PostgreSQL
  // "2026-11-25T12:00:00.250Z" (cast to timestamptz where it is used).
  std::string timestamp_value(Millis at) const;
  // A bound timestamp parameter usable as a value in SET and comparisons: `:now`.
  std::string timestamp_param(std::string_view param) const;
  // `quoted_column` holds an instant before the bound timestamp parameter `param`.
  std::string before(std::string_view quoted_column, std::string_view param) const;
  // Seconds from `quoted_column` to the bound timestamp parameter `param`, as a real.
  std::string seconds_between(std::string_view quoted_column, std::string_view param) const;
  // `quoted_column` as text, for reading ids of any type.
  std::string as_text(std::string_view quoted_column) const;

  // Begins a transaction that will write. On SQLite it takes the write lock at once
  // (BEGIN IMMEDIATE): a deferred transaction that read first and then writes while another
  // writer holds the lock fails with "database is locked" at once, without waiting for the busy
  // timeout. Finish it with session().commit() or session().rollback().
  void begin_write();

  // Executes a statement; returns the rows it changed.
  long long execute(const std::string& sql, const SqlParams& params = {});
  // The first column of every row, as text ("" for NULL).
  std::vector<std::string> column(const std::string& sql, const SqlParams& params = {});
  // Every row, every column as text ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql, const SqlParams& params = {});
  long long count(const std::string& sql, const SqlParams& params = {});

  // Executes an UPDATE (or DELETE) and returns the rows it changed; while `ids` holds fewer than
  // `keep` entries, the changed rows' `quoted_id` is fetched (RETURNING) and appended, up to
  // `keep`. Past that the statement runs without RETURNING: a row round trip for every changed
  // key would cost far more than the statement itself.
  long long execute_keeping_ids(const std::string& sql, const SqlParams& params,
                                std::string_view quoted_id, std::vector<std::string>& ids,
                                std::size_t keep);

 private:
  static void bind(soci::statement& statement, const SqlParams& params);
  void for_each_row(const std::string& sql, const SqlParams& params,
                    const std::function<void(const soci::row&)>& on_row);

  soci::session& session_;
  Dialect dialect_;
};

}  // namespace maintd::handlers
