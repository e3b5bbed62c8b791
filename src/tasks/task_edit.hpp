#pragma once
// Editing a task of scheduled_tasks (origin db): the rules that `maintd task edit` and the admin
// API's PATCH share, so that both accept and refuse exactly the same changes. The callers build
// the new schedule-file entry (from options, or a JSON merge patch over entry_from_row()) and
// phrase the outcome for their users; the checks, the validation and the write are here.
//
//   1. find_editable_row: a task a schedule file defines is edited in its file; a row must exist
//      and be of origin db.
//   2. apply_task_edit: the entry is validated exactly like a schedule file's entry; the row's
//      enabled override stays unless the edit sets `enabled`; nothing is written when nothing
//      changed; the update is conditional on the row not having changed since it was read.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "store/task_table.hpp"
#include "store/timestamp.hpp"
#include "tasks/task_row.hpp"

namespace maintd::tasks {

// Why a task cannot be edited.
struct EditRefusal {
  enum class Reason {
    file_task,  // a schedule file defines it (`file_task`: where)
    unknown,    // neither a file nor a row defines it
    not_db,     // its row has another origin (`origin`)
  };
  Reason reason = Reason::unknown;
  config::Location defined_at;  // file_task: the entry in its schedule file
  std::string origin;           // not_db: the row's origin
};

// "schedules/a.yaml:12": where a file task is defined, as refusals name it.
std::string file_and_line(const config::Task& task);

// The row of task `name` if it may be edited. Throws StoreUnavailable / StoreError.
Expected<TaskRow, EditRefusal> find_editable_row(store::TaskTable& table,
                                                 const config::Config& config,
                                                 const std::string& name);

// `entry` validated like a schedule file entry against `config`, with every problem at
// "task 'name'" in `diagnostics` (warnings too). Empty when there was an error.
std::optional<config::Task> validate_task_entry(const nlohmann::json& entry,
                                                const config::Config& config,
                                                const std::string& name,
                                                config::Diagnostics& diagnostics);

struct EditOutcome {
  enum class Result {
    changed,    // written: `changes`
    unchanged,  // the entry defines what the row holds already: nothing written
    invalid,    // the entry does not validate (`diagnostics` has the errors): nothing written
    conflict,   // the row was changed or removed meanwhile: nothing written
  };
  Result result = Result::invalid;
  config::Diagnostics diagnostics;   // warnings in every case, errors when invalid
  std::vector<FieldChange> changes;  // changed: the columns, enabled_override last if it changed
  std::optional<config::Task> task;  // the task as validated (changed, unchanged)
};

// Validates `entry` (the whole new definition of `row`'s task) and writes it to `row`'s place.
// `sets_enabled`: the edit gives `enabled`, which sets the definition and drops an earlier
// `task enable|disable` override; otherwise that override stays. Throws StoreUnavailable /
// StoreError.
EditOutcome apply_task_edit(store::TaskTable& table, const config::Config& config,
                            const TaskRow& row, const nlohmann::json& entry, bool sets_enabled,
                            const store::Clock& clock);

}  // namespace maintd::tasks
