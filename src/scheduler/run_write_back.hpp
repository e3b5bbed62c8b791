#pragma once
// After each run, what it leaves in its task's row of the task table (store::write_back_run):
// the run's id, start and status, and the task's next slot, so that the application's own
// admin page, which reads that table, stays true. Shared by the daemon's workers and
// `maintd run`. Never fails a run: a write-back that cannot be made is logged (a warning naming
// the task, the run and the reason) and the run's outcome stands.
#include <memory>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "scheduler/run_executor.hpp"
#include "store/task_table.hpp"

namespace maintd::scheduler {

// `now`: the next slot is the first after it (none for a disabled task).
void write_back_outcome(store::TaskTable& table, const config::Task& task,
                        const RunOutcome& outcome, Instant now);

}  // namespace maintd::scheduler
