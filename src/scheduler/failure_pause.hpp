#pragma once
// pause_after_failures: after N consecutive failed or timed-out runs a task is disabled, as
// `maintd task disable` disables it, until someone enables it again.
//
// When a run's last attempt ends failed or timed out on this instance (RunLauncher), the
// daemon:
//   1. reads when the task was last enabled, disabled or changed (store/task_override.hpp);
//   2. counts the task's failures in a row among the runs created since (failure_streak.hpp);
//   3. at N or more, switches the task's enable override off, on the condition that it is on
//      and the task has not changed since step 1 (one conditional write under the lock every
//      writer of tasks takes);
//   4. only when that write was this instance's: records a `paused` event on the run, logs a
//      warning, raises an alert of kind `paused`, and re-reads its tasks so that the planner
//      stops firing the task at once (other instances stop at their next poll of the table).
// Steps 1-3 are idempotent: two instances finishing failed runs of one task at once may both
// count N, but only one of them switches the task off and says so. A person who enables the
// task moves its change time, so the failures before that no longer count (step 2): enabling
// resets the count. Editing the task (its schedule file or `maintd task edit`) does the same.
//
// Nothing here fails a run or the daemon: a state database that cannot be read or written is
// logged, and the next failed run decides again.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "scheduler/alerts.hpp"
#include "scheduler/run_executor.hpp"
#include "store/run_store.hpp"
#include "store/task_table.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// The event a pause records on the run that completed the streak.
inline constexpr const char* kPausedEvent = "paused";

class FailurePause {
 public:
  struct Options {
    std::function<std::shared_ptr<store::TaskTable>()> table;  // the daemon's current one
    std::function<Instant()> now;                              // for the alert
    store::Clock clock = store::system_clock();  // the switch's updated_at, as the CLI's
    std::function<void(Alert)> raise;            // Alerts::raise; may be empty
    std::function<void()> tasks_changed;         // re-read the tasks; may be empty
  };

  FailurePause(store::RunStore& runs, Options options);

  // After the last attempt of a run of `task` was recorded here. True when this call paused
  // the task. Never throws: what fails is logged.
  bool after_last_attempt(const config::Task& task, const RunOutcome& outcome);

 private:
  store::RunStore& runs_;
  Options options_;
};

// A task that a pause switched off and that is still off (for `maintd status`).
struct PausedTask {
  std::string task;
  store::RunId run = 0;   // the run whose failure paused it
  store::Timestamp at{};  // when
  std::string message;
};
// The disabled tasks of `tasks` with pause_after_failures whose latest failed run carries the
// `paused` event (not after a completed run). A few queries: the candidates' recent runs, then
// the events of at most a handful of runs each.
std::vector<PausedTask> paused_by_failures(store::RunStore& runs, const tasks::TaskSet& tasks);

}  // namespace maintd::scheduler
