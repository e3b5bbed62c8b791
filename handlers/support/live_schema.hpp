#pragma once
// The target database as it is, for `maintd validate --check-databases`: does the table a task
// names exist, and does it have the columns the task's config names? Checked against the live
// catalogue (SQLite's pragma_table_info, PostgreSQL's information_schema), so a typo in a column
// name is reported before the first 3 a.m. run rather than by it.
#include <soci/session.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/schema.hpp"

namespace maintd::handlers {

// The columns of `table` (optionally `schema.table`; PostgreSQL: the current schema otherwise),
// in their order; nullopt when there is no such table.
std::optional<std::vector<std::string>> table_columns(soci::session& session,
                                                      std::string_view table);

// Which config keys name a column: {"claimed_at", "claimed_at"}, {"id_column", "uuid"}.
using ColumnKeys = std::vector<std::pair<std::string, std::string>>;

// Issues for a missing table (reported against `table_key`) or for each missing column (against
// its key, with the closest existing column as a hint). Empty keys' values are skipped.
std::vector<registry::SchemaIssue> check_table(soci::session& session, const std::string& table_key,
                                               const std::string& table, const ColumnKeys& columns);

// The operator's `where:` predicate compiled against the real table (a query with LIMIT 0: nothing
// is read), so a typo in it fails validation, not the 3 a.m. run. An issue for key "where" when
// it does not compile; none when `where` is empty.
std::vector<registry::SchemaIssue> check_where(soci::session& session, const std::string& table,
                                               const std::string& where);

}  // namespace maintd::handlers
