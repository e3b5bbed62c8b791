#pragma once
// Enabling and disabling a task: written once for `maintd task enable|disable`, the admin API
// (POST /api/v1/scheduled-tasks/{name}/enable|disable) and the dashboard's buttons.
//
// The switch is scheduled_tasks' enabled_override, for rows of either origin: it survives
// reloads and schedule-file edits until switched back. What each interface says about the
// outcome is its own (a CLI line, a JSON answer, a flash message); what is checked and written is
// decided here, so the three cannot drift apart.
#include <string>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "store/task_table.hpp"

namespace maintd::service {

struct ToggleOutcome {
  enum class Result {
    done,               // the override is set (`changed` says whether anything changed)
    unknown_task,       // no row of that name in scheduled_tasks
    defined_twice,      // a schedule file defines the name and a row of another origin exists
    removed_meanwhile,  // the row went between the read and the write
  };
  Result result = Result::done;
  // done: false when the task already was in that state (and no stale override was dropped).
  bool changed = false;
  // defined_twice: where the file defines it ("schedules/a.yaml:3") and the row's origin.
  std::string defined_at;
  std::string row_origin;
  // done, a row of origin db that does not validate: why it stays off whatever its flag says.
  config::Diagnostics invalid;
};

// Sets the override of task `name` to `enabled`. `config` is the configuration the row is judged
// against (the file tasks, the handlers' schemas). Throws store::StoreError when the state
// database fails. The caller tells the daemon, if there is one (Service::set_enabled does).
ToggleOutcome set_task_enabled(store::TaskTable& table, const config::Config& config,
                               const std::string& name, bool enabled);

}  // namespace maintd::service
