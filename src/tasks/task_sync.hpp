#pragma once
// The schedule files synced into `scheduled_tasks`: what maintd does each time it loads its
// configuration, and `maintd db seed` on demand. A sync is computed as a plan first, then applied
// in one transaction:
//   added     a file task with no row: inserted with origin file:<path>
//   changed   a file task whose row differs: updated column by column (created_at and
//             enabled_override are kept; updated_at moves only when something changed)
//   removed   a row of origin file:... that no schedule file defines any more: deleted (its runs
//             stay in maintd_runs)
//   conflict  a name both in a file and in a row of another origin (db): reported at both places;
//             the row is left untouched and the file's task is the one that runs
// The plan is made here, from the configuration; the reads, the lock and the writes are the
// store's (store/task_table.hpp, sync_task_table).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "store/task_table.hpp"
#include "store/timestamp.hpp"
#include "tasks/task_row.hpp"

namespace maintd::tasks {

// `task` and `row` say where an entry came from, for the sync that applies the plan: the file
// task in the configuration planned against, the row's index in the rows planned against (both
// valid while those live).
struct SyncPlan {
  struct Added {
    std::string name;
    std::string origin;
    config::Location defined_at;
    const config::Task* task = nullptr;
  };
  struct Changed {
    std::string name;
    std::string origin;  // the new one
    config::Location defined_at;
    std::vector<FieldChange> fields;
    const config::Task* task = nullptr;
    std::size_t row = 0;
  };
  struct Removed {
    std::string name;
    std::string origin;
    std::size_t row = 0;
  };
  struct Conflict {
    std::string name;
    config::Location defined_at;  // the file task
    std::string row_origin;       // the row's: "db"
  };
  std::vector<Added> added;
  std::vector<Changed> changed;
  std::vector<Removed> removed;
  std::vector<Conflict> conflicts;
  std::size_t unchanged = 0;  // file tasks whose row already matches

  bool writes_nothing() const { return added.empty() && changed.empty() && removed.empty(); }
};

// The plan for these rows: pure, in file order (added, changed, conflicts), then by name
// (removed).
SyncPlan plan_sync(const std::vector<TaskRow>& rows, const config::Config& config);

// The plan against the table, writing nothing (`maintd db seed --dry-run`). A database whose
// schema was never created reads as an empty table.
SyncPlan plan_sync(store::TaskTable& table, const config::Config& config);

// The table as a sync found or left it, when that is known without reading it again.
struct SyncedRows {
  std::vector<TaskRow> rows;  // sorted by name
  // When the sync wrote: the table's (deep) version as of its commit. Otherwise unset: the
  // table is as read, and a version read before the sync is still its own.
  std::optional<std::string> version;
};

// Computes and applies the plan in one transaction, serialised with other syncs (SQLite: a write
// transaction; PostgreSQL: a transaction-scoped advisory lock), and returns what it applied.
// When the table already matches, nothing is written and no lock is taken. Throws
// StoreUnavailable / StoreError; a failed sync leaves the table as it was. When `after` is
// given, it is set to the table as the sync leaves it whenever that is known without another
// read: always when the sync wrote nothing (also when another process had synced by the time
// the lock was taken), and after writes to a task table on SQLite (store::sync_task_table).
// `before_lock` (tests) runs between the first read and the lock, where another process may sync.
SyncPlan sync_tasks(store::TaskTable& table, const config::Config& config,
                    const store::Clock& clock = store::system_clock(),
                    std::optional<SyncedRows>* after = nullptr,
                    const std::function<void()>& before_lock = {});

// The plan's conflicts as warnings, at the file task and at the row.
void report_conflicts(const SyncPlan& plan, config::Diagnostics& diagnostics);

}  // namespace maintd::tasks
