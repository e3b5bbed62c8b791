// Reading a task table's shape from the catalog (see task_table_layout.hpp).
#include "store/task_table_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "store/store_error.hpp"

namespace maintd::store {

bool TaskTableLayout::database_assigns_id() const {
  if (!has("id")) return false;
  const std::string& t = type.at("id");
  return t.find("int") != std::string::npos || t.find("serial") != std::string::npos;
}

bool TaskTableLayout::writes_run_id() const {
  if (!has("last_run_id")) return false;
  const std::string& t = type.at("last_run_id");
  return t.find("uuid") == std::string::npos;
}

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The table's columns and their declared types, in table order; empty when there is no table.
std::vector<std::pair<std::string, std::string>> catalog_columns(soci::session& sql,
                                                                 Dialect dialect,
                                                                 const std::string& table) {
  std::vector<std::pair<std::string, std::string>> found;
  std::string name, type;
  soci::indicator type_ind = soci::i_ok;
  soci::statement st(sql);
  std::string schema, bare = table;
  if (const auto dot = table.find('.'); dot != std::string::npos) {
    schema = table.substr(0, dot);
    bare = table.substr(dot + 1);
  }
  if (dialect == Dialect::sqlite) {
    // The table-valued pragma takes its arguments as bound values.
    // Bound by reference: the values must outlive the statement (not a temporary).
    if (schema.empty()) schema = "main";
    st = (sql.prepare << "SELECT name, type FROM pragma_table_info(:t, :s)", soci::use(bare),
          soci::use(schema), soci::into(name), soci::into(type, type_ind));
  } else {
    // to_regclass resolves the name as a query would (search_path), and is NULL when there is
    // no such table.
    st = (sql.prepare << "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
                         "FROM pg_attribute a WHERE a.attrelid = to_regclass(:t) "
                         "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
          soci::use(table), soci::into(name), soci::into(type, type_ind));
  }
  st.execute();
  while (st.fetch()) found.emplace_back(name, type_ind == soci::i_ok ? lower(type) : "");
  return found;
}

}  // namespace

std::optional<TaskTableLayout> read_task_table_layout(soci::session& sql, Dialect dialect,
                                                      const TaskTableSpec& spec) {
  const auto columns = catalog_columns(sql, dialect, spec.table);
  if (columns.empty()) return std::nullopt;
  TaskTableLayout layout;
  layout.table = spec.table;
  std::vector<std::string> missing, mapped_missing;
  for (const auto& guide : guide_task_columns()) {
    const std::string wanted = lower(spec.column_for(guide));
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const auto& column) { return lower(column.first) == wanted; });
    if (it != columns.end()) {
      layout.column[guide] = it->first;
      layout.type[guide] = it->second;
      continue;
    }
    const bool required =
        std::count(required_task_columns().begin(), required_task_columns().end(), guide) > 0;
    if (spec.columns.count(guide) > 0) {
      mapped_missing.push_back(fmt::format("{} (mapped to '{}')", guide, spec.column_for(guide)));
    } else if (required) {
      missing.push_back(guide);
    }
  }
  if (!missing.empty() || !mapped_missing.empty()) {
    std::vector<std::string> table_columns;
    for (const auto& column : columns) table_columns.push_back(column.first);
    std::vector<std::string> problems;
    if (!missing.empty()) {
      problems.push_back(fmt::format("it has no column {}", fmt::join(missing, ", ")));
    }
    if (!mapped_missing.empty()) {
      problems.push_back(
          fmt::format("the mapped columns are not there: {}", fmt::join(mapped_missing, ", ")));
    }
    throw StoreError(fmt::format(
        "the task table {} cannot be used as it is: {} (its columns: {}). Nothing was changed; "
        "name the columns it uses under task_table.columns (e.g. schedule_expression: cron), "
        "or point task_table.table at another table",
        spec.table, fmt::join(problems, "; "), fmt::join(table_columns, ", ")));
  }
  return layout;
}

}  // namespace maintd::store
