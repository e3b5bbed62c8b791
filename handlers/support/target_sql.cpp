#include "handlers/support/target_sql.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <ctime>
#include <functional>
#include <stdexcept>

#include "registry/schema.hpp"

namespace maintd::handlers {
namespace {

// One column of a row as text, whatever type the backend reported for it.
std::string column_text(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return {};
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_string:
    case soci::dt_xml:
    case soci::dt_blob:
      return row.get<std::string>(i);
    case soci::dt_integer:
      return std::to_string(row.get<int>(i));
    case soci::dt_long_long:
      return std::to_string(row.get<long long>(i));
    case soci::dt_unsigned_long_long:
      return std::to_string(row.get<unsigned long long>(i));
    case soci::dt_double:
      return fmt::format("{}", row.get<double>(i));
    case soci::dt_date: {
      const auto tm = row.get<std::tm>(i);
      return fmt::format("{:%Y-%m-%d %H:%M:%S}", tm);
    }
  }
  return {};
}

// Runs one statement's work; a SOCI error becomes a DatabaseError that quotes none of `params`.
template <class Body>
auto reporting_errors(const SqlParams& params, Body&& body) {
  try {
    return body();
  } catch (const soci::soci_error& e) {
    throw DatabaseError(database_error_text(e, params.values()));
  }
}

}  // namespace

Dialect dialect_of(soci::session& session) {
  return session.get_backend_name() == "postgresql" ? Dialect::postgresql : Dialect::sqlite;
}

std::string quote_identifier(std::string_view identifier) {
  if (!registry::is_sql_identifier(identifier)) {
    throw std::invalid_argument(
        fmt::format("'{}' is not an SQL identifier (letters, digits and '_', not starting with a "
                    "digit; optionally 'schema.' before it)",
                    identifier));
  }
  const auto dot = identifier.find('.');
  if (dot == std::string_view::npos) return fmt::format("\"{}\"", identifier);
  return fmt::format("\"{}\".\"{}\"", identifier.substr(0, dot), identifier.substr(dot + 1));
}

SqlParams& SqlParams::text(std::string name, std::string value) {
  texts_.emplace_back(std::move(name), std::move(value));
  return *this;
}
SqlParams& SqlParams::integer(std::string name, long long value) {
  integers_.emplace_back(std::move(name), value);
  return *this;
}
SqlParams& SqlParams::real(std::string name, double value) {
  reals_.emplace_back(std::move(name), value);
  return *this;
}
std::vector<std::string> SqlParams::values() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : texts_) out.push_back(value);
  for (const auto& [name, value] : integers_) out.push_back(std::to_string(value));
  for (const auto& [name, value] : reals_) out.push_back(fmt::format("{}", value));
  return out;
}

TargetSql::TargetSql(soci::session& session) : session_(session), dialect_(dialect_of(session)) {}

std::string TargetSql::timestamp_value(Millis at) const {
  return dialect_ == Dialect::sqlite ? sqlite_text(at) : utc_text(at);
}

std::string TargetSql::timestamp_param(std::string_view param) const {
  if (dialect_ == Dialect::sqlite) return fmt::format(":{}", param);
  return fmt::format("CAST(:{} AS timestamptz)", param);
}

std::string TargetSql::before(std::string_view quoted_column, std::string_view param) const {
  if (dialect_ == Dialect::sqlite) {
    return fmt::format("julianday({}) < julianday(:{})", quoted_column, param);
  }
  return fmt::format("{} < CAST(:{} AS timestamptz)", quoted_column, param);
}

std::string TargetSql::seconds_between(std::string_view quoted_column,
                                       std::string_view param) const {
  if (dialect_ == Dialect::sqlite) {
    return fmt::format("((julianday(:{}) - julianday({})) * 86400.0)", param, quoted_column);
  }
  return fmt::format("EXTRACT(EPOCH FROM (CAST(:{} AS timestamptz) - {}))", param, quoted_column);
}

std::string TargetSql::as_text(std::string_view quoted_column) const {
  return fmt::format("CAST({} AS TEXT)", quoted_column);
}

void TargetSql::bind(soci::statement& statement, const SqlParams& params) {
  for (const auto& [name, value] : params.texts_) statement.exchange(soci::use(value, name));
  for (const auto& [name, value] : params.integers_) statement.exchange(soci::use(value, name));
  for (const auto& [name, value] : params.reals_) statement.exchange(soci::use(value, name));
}

void TargetSql::for_each_row(const std::string& sql, const SqlParams& params,
                             const std::function<void(const soci::row&)>& on_row) {
  soci::row row;
  soci::statement statement(session_);
  bind(statement, params);
  statement.exchange(soci::into(row));
  // on_row runs outside: its own exceptions are not the database's.
  const auto fetch = [&] { return reporting_errors(params, [&] { return statement.fetch(); }); };
  reporting_errors(params, [&] {
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
    statement.execute(false);
    return 0;
  });
  while (fetch()) on_row(row);
}

void TargetSql::begin_write() {
  reporting_errors({}, [&] {
    if (dialect_ == Dialect::sqlite) {
      session_ << "BEGIN IMMEDIATE";
    } else {
      session_.begin();
    }
    return 0;
  });
}

long long TargetSql::execute(const std::string& sql, const SqlParams& params) {
  return reporting_errors(params, [&] {
    soci::statement statement(session_);
    bind(statement, params);
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
    statement.execute(true);
    return statement.get_affected_rows();
  });
}

std::vector<std::vector<std::string>> TargetSql::rows(const std::string& sql,
                                                      const SqlParams& params) {
  std::vector<std::vector<std::string>> result;
  for_each_row(sql, params, [&](const soci::row& row) {
    std::vector<std::string> values;
    values.reserve(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) values.push_back(column_text(row, i));
    result.push_back(std::move(values));
  });
  return result;
}

std::vector<std::string> TargetSql::column(const std::string& sql, const SqlParams& params) {
  std::vector<std::string> result;
  for_each_row(sql, params, [&](const soci::row& row) { result.push_back(column_text(row, 0)); });
  return result;
}

long long TargetSql::execute_keeping_ids(const std::string& sql, const SqlParams& params,
                                         std::string_view quoted_id, std::vector<std::string>& ids,
                                         std::size_t keep) {
  if (ids.size() >= keep) return execute(sql, params);
  const auto keys = column(sql + " RETURNING " + as_text(quoted_id), params);
  for (const auto& id : keys) {
    if (ids.size() < keep) ids.push_back(id);
  }
  return static_cast<long long>(keys.size());
}

long long TargetSql::count(const std::string& sql, const SqlParams& params) {
  const auto values = column(sql, params);
  if (values.empty() || values.front().empty()) return 0;
  return std::stoll(values.front());
}

}  // namespace maintd::handlers
