#pragma once
// Where the task table is and what its columns are called: `task_table:` in maintd.yaml, read by
// config and used by store (store/task_table_layout.hpp says what the columns are for).
// maintd's `scheduled_tasks` has exactly the Curatore guide's columns; an application's own
// table of that shape, or of a subset, or with other column names given here, is used as it is.
#include <map>
#include <string>
#include <vector>

namespace maintd::connection {

// The guide's columns, in its order.
const std::vector<std::string>& guide_task_columns();
// The columns a task table must have: without them a row is not a task.
const std::vector<std::string>& required_task_columns();

// Whether `text` can be a table or column name here: letters, digits and '_', not starting with
// a digit, at most 63 bytes (a table may be schema-qualified: one '.'). Names are written into
// SQL as they are, so nothing else is accepted.
bool valid_identifier(const std::string& text, bool allow_schema);

struct TaskTableSpec {
  std::string table = "scheduled_tasks";  // an identifier, or schema.identifier
  // guide column -> table column, for those the application names differently.
  std::map<std::string, std::string> columns;

  std::string column_for(const std::string& guide) const;
  // The default: maintd's own scheduled_tasks, which `maintd db migrate` creates when absent.
  bool is_default() const { return table == "scheduled_tasks" && columns.empty(); }
};

}  // namespace maintd::connection
