#include "handlers/support/live_schema.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/suggest.hpp"
#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {

std::optional<std::vector<std::string>> table_columns(soci::session& session,
                                                      std::string_view table) {
  TargetSql sql(session);
  const auto dot = table.find('.');
  const bool qualified = dot != std::string_view::npos;
  SqlParams params;
  params.text("table", std::string(qualified ? table.substr(dot + 1) : table));
  if (qualified) params.text("schema", std::string(table.substr(0, dot)));
  std::vector<std::string> columns;
  if (sql.dialect() == Dialect::sqlite) {
    columns = sql.column(qualified ? "SELECT name FROM pragma_table_info(:table, :schema)"
                                   : "SELECT name FROM pragma_table_info(:table)",
                         params);
  } else {
    columns = sql.column(
        fmt::format("SELECT column_name FROM information_schema.columns WHERE table_schema = {} "
                    "AND table_name = :table ORDER BY ordinal_position",
                    qualified ? ":schema" : "current_schema()"),
        params);
  }
  if (columns.empty()) return std::nullopt;  // a table has at least one column
  return columns;
}

std::vector<registry::SchemaIssue> check_table(soci::session& session, const std::string& table_key,
                                               const std::string& table,
                                               const ColumnKeys& columns) {
  const auto existing = table_columns(session, table);
  if (!existing) {
    return {{table_key, fmt::format("table '{}' does not exist in the database", table)}};
  }
  std::vector<registry::SchemaIssue> issues;
  for (const auto& [key, column] : columns) {
    if (column.empty()) continue;
    if (std::find(existing->begin(), existing->end(), column) != existing->end()) continue;
    issues.push_back({key, fmt::format("column '{}' does not exist in table '{}'{}", column, table,
                                       did_you_mean(column, *existing))});
  }
  return issues;
}

std::vector<registry::SchemaIssue> check_where(soci::session& session, const std::string& table,
                                               const std::string& where) {
  if (where.empty()) return {};
  try {
    TargetSql sql(session);
    sql.rows(fmt::format("SELECT 1 FROM {} WHERE ({}) LIMIT 0", quote_identifier(table), where));
  } catch (const std::exception& e) {
    return {{"where", fmt::format("the predicate does not work on table '{}': {}", table,
                                  database_error_text(e))}};
  }
  return {};
}

}  // namespace maintd::handlers
