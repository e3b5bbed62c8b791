#pragma once
// Reading tasks, for task_table.cpp and task_writes.cpp: the task table's rows (the columns its
// layout has) joined in C++ with their maintd_tasks rows by key. Two queries rather than one
// join in SQL, because the task table may be in another database than maintd_tasks.
#include <soci/soci.h>

#include <string>
#include <vector>

#include "store/task_table.hpp"

namespace maintd::store {

// A session on the database of the task table and one on the state database: the same
// session when the task table is in the state database.
struct TaskSessions {
  soci::session& home;
  soci::session& state;
};

enum class TaskMatch { all, name, name_or_id };

// The tasks (all, or those whose name, or name or id, is `wanted`), sorted by name.
std::vector<TaskRecord> read_tasks(TaskSessions& sessions, const TaskTableLayout& layout,
                                   TaskMatch match = TaskMatch::all, const std::string& wanted = {},
                                   bool maintd_rows = true);

// Makes columns as written what a read of the table returns: the guide columns the table lacks
// at the values a read leaves for them ("", "global", NULL); maintd_tasks' columns as written.
void as_read_back(TaskColumns& columns, const TaskTableLayout& layout);

// The key of a task's maintd_tasks row: its id, or its name in a table without id.
const std::string& key_of(const TaskRecord& record, const TaskTableLayout& layout);

// The table's layout, or the error that there is none: StoreUnavailable for the state
// database's own (not migrated), StoreError for an application's (maintd creates no table there).
TaskTableLayout require_layout(TaskTable& table, soci::session& home_sql);

// Runs `body(TaskSessions&)` with a session on each database (one, when the task table is in the
// state database), through Database::with_session.
template <class Body>
auto with_task_sessions(TaskTable& table, std::string_view what, Body&& body) {
  return table.state().with_session(what, [&](soci::session& state) {
    if (!table.separate()) {
      TaskSessions sessions{state, state};
      return body(sessions);
    }
    return table.home().with_session(what, [&](soci::session& home) {
      TaskSessions sessions{home, state};
      return body(sessions);
    });
  });
}

}  // namespace maintd::store
