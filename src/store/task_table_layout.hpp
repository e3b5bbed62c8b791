#pragma once
// What a task table looks like: which of the guide's columns it has, under which names, of which
// types. maintd's `scheduled_tasks` has exactly the Curatore guide's columns; an application's
// own table of that shape (or a subset, or under other names given in `task_table.columns`) is
// used as it is, never altered. Everything maintd keeps beyond those columns (origin, the
// enable override, policies, time zone) lives in `maintd_tasks`, keyed by the task's id.
//
// Terms:
//   guide column     one of the fifteen names below, as the Curatore guide writes them
//   table column     the name the table actually uses for it (the mapping; default the same)
//   required         name, task_type, schedule_expression, enabled, config: without them a row
//                    is not a task. A table missing one is refused, and nothing is changed.
//   optional         the others: read when present; write-back (last_run_*, next_run_at) and the
//                    timestamps go only to those the table has.
#include <soci/soci.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connection/task_table_spec.hpp"
#include "store/database.hpp"

namespace maintd::store {

using connection::guide_task_columns;
using connection::required_task_columns;
using connection::TaskTableSpec;

// The table as found: the guide columns it has, their names and declared types.
struct TaskTableLayout {
  std::string table;
  std::map<std::string, std::string> column;  // guide column -> table column (present ones)
  std::map<std::string, std::string> type;    // guide column -> declared type, lower case

  bool has(const std::string& guide) const { return column.count(guide) > 0; }
  const std::string& name_of(const std::string& guide) const { return column.at(guide); }
  // The id is a number the database assigns (an integer column): maintd inserts rows without
  // it. Otherwise maintd writes a UUID (text or uuid columns).
  bool database_assigns_id() const;
  // last_run_id can hold maintd's run ids (a number or text column; not a uuid column, whose
  // values the application's own runs table assigns).
  bool writes_run_id() const;
  // The column that keys the task's maintd_tasks row: the id, or the name in a table without id.
  const std::string& key_column() const { return has("id") ? name_of("id") : name_of("name"); }
};

// The layout of the table `spec` names, read from the database's catalog on `sql`. nullopt when
// the table does not exist. Throws StoreError when it exists without a required column: the
// message names the table, what is missing and the mapping to use.
std::optional<TaskTableLayout> read_task_table_layout(soci::session& sql, Dialect dialect,
                                                      const TaskTableSpec& spec);

}  // namespace maintd::store
