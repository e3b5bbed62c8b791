#pragma once
// A task switched off by maintd itself (pause_after_failures, scheduler/failure_pause.hpp), on
// the same enable override `maintd task disable` sets (task_table.hpp), so that `maintd task
// enable` is what turns it back on.
//
// The override's row in maintd_tasks keeps an updated_at that every enable, disable and edit
// of the task moves: the moment from which a count of the task's runs starts afresh. These
// two calls read it and switch the task off only while it still reads the same, so that the
// decision is made once however many instances reach it, and never over a person's newer one.
//
// Both throw StoreUnavailable when a database cannot be used, StoreError otherwise.
#include <optional>
#include <string>

#include "store/task_table.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

struct TaskChange {
  bool found = false;  // false: no task of that name
  // When the task was last enabled, disabled or changed, as its maintd row records it (text,
  // as stored). Empty when the task has no maintd row: it was never switched nor synced.
  std::optional<std::string> changed_at;
};
TaskChange read_task_change(TaskTable& table, const std::string& name);

// Disables task `name` as set_enabled_override(..., false) does, if it is enabled and its
// maintd row still reads `changed_at` (as read_task_change returned it). True when this call
// disabled it; false when it was gone, already disabled, or changed meanwhile.
bool disable_task_if_unchanged(TaskTable& table, const std::string& name,
                               const std::optional<std::string>& changed_at, const Clock& clock);

}  // namespace maintd::store
