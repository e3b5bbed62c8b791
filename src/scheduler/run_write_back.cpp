#include "scheduler/run_write_back.hpp"

#include <spdlog/spdlog.h>

#include "store/timestamp.hpp"

namespace maintd::scheduler {

void write_back_outcome(store::TaskTable& table, const config::Task& task,
                        const RunOutcome& outcome, Instant now) {
  if (!outcome.started_at) return;  // it never started here: another instance's, or refused
  store::RunWriteBack run;
  run.task_name = task.name;
  run.run_id = outcome.id;
  run.started_at = store::format_timestamp(*outcome.started_at);
  run.status = std::string(store::to_string(outcome.status));
  if (task.enabled) {
    if (auto next = task.slots.next(now)) run.next_run_at = store::format_timestamp(*next);
  }
  try {
    store::write_back_run(table, run);
  } catch (const std::exception& e) {
    spdlog::warn("task {} run {}: writing the run back to {}: {}; the run's outcome stands",
                 task.name, outcome.id, table.where(), e.what());
  }
}

}  // namespace maintd::scheduler
