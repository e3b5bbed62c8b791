// Enabling and disabling a task (task_toggle.hpp).
#include "service/task_toggle.hpp"

#include "store/task_table.hpp"
#include "tasks/task_edit.hpp"
#include "tasks/task_row.hpp"

namespace maintd::service {

ToggleOutcome set_task_enabled(store::TaskTable& table, const config::Config& config,
                               const std::string& name, bool enabled) {
  ToggleOutcome outcome;
  const auto row = tasks::read_task_row(table, name);
  if (!row) {
    outcome.result = ToggleOutcome::Result::unknown_task;
    return outcome;
  }
  // The file's definition is the one that runs; a row of another origin under the same name is
  // a conflict the user resolves by removing it, not something a switch should paper over.
  if (const config::Task* file_task = config.find_task(name); file_task && !row->from_file()) {
    outcome.result = ToggleOutcome::Result::defined_twice;
    outcome.defined_at = tasks::file_and_line(*file_task);
    outcome.row_origin = row->origin;
    return outcome;
  }
  // An unreadable row is rewritten even when its flags already agree: the switch repairs it.
  const bool already =
      row->enabled == enabled && row->enabled_override == enabled && row->unreadable.empty();
  if (!store::set_enabled_override(table, name, enabled, store::system_clock())) {
    outcome.result = ToggleOutcome::Result::removed_meanwhile;
    return outcome;
  }
  outcome.changed = !already;
  if (row->from_db()) {
    config::Diagnostics problems;
    if (!tasks::task_from_row(*row, config, problems)) outcome.invalid = std::move(problems);
  }
  return outcome;
}

}  // namespace maintd::service
