#pragma once
// The effective task set (tasks/task_set.hpp) made from the schedule files and the
// scheduled_tasks table: every file task of the configuration (the enabled override applied)
// and every valid row of origin db. What `maintd run`, `maintd list` and the daemon execute or
// show.
//
// The set points at the file tasks in `config`, which must outlive it. Its diagnostics hold, at
// config::table_location(name), an error for each invalid or unusable row (never run) and a
// warning at both places for each name that is both in a file and a db row (the file's task is
// used, the row left alone).
#include <vector>

#include "config/config.hpp"
#include "store/task_table.hpp"
#include "store/timestamp.hpp"
#include "tasks/task_row.hpp"
#include "tasks/task_set.hpp"

namespace maintd::tasks {

// Syncs the schedule files into the table first (tasks/task_sync.hpp), then reads it. Throws
// StoreUnavailable when the database cannot be used, StoreError when a statement fails.
TaskSet load_tasks(store::TaskTable& table, const config::Config& config);  // syncs files first
TaskSet load_tasks(store::TaskTable& table, const config::Config& config,
                   const store::Clock& clock);

// The same task set from rows already read, without syncing or writing anything (what `maintd
// list` and `maintd next` show). Conflicts between files and db rows are not reported here.
TaskSet merge_tasks(const std::vector<TaskRow>& rows, const config::Config& config);

}  // namespace maintd::tasks
