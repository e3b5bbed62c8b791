#pragma once
// Recording a one-off run (`maintd run TASK --at TIME`, POST
// /api/v1/scheduled-tasks/{name}/run with "at"): written once for the CLI and the admin API.
// The run is recorded at once, `pending` with trigger `once` and its due_at; whichever daemon is
// up starts it at that time (scheduler/one_off_runs.hpp). Refused with the reason, and nothing
// written: an unknown task, a time that is not a time, has no zone, or is not in the future.
#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "common/instant.hpp"
#include "scheduler/run_control.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::service {

// How far ahead a one-off run may be asked for: further is a typo more often than a plan.
constexpr std::chrono::hours kFurthestOneOff{24 * 366};

struct OneOffAsk {
  std::string task;  // a task's name
  std::string at;    // "2026-12-08T03:00:00Z", "2026-12-08T04:00:00+01:00", "+10m", "+1h30m"
  bool dry_run = false;
};

struct OneOffRefusal {
  enum class Reason {
    unknown_task,
    bad_time,
  };
  Reason reason = Reason::bad_time;
  std::string message;
};

// TIME as an instant: ISO 8601 with `Z` or an offset (a time without one is refused: whose
// wall clock it means is not said), or `+` and a duration from `now` (`+10m`, `+1h30m`).
// Checks only the form; schedule_one_off() checks that it is in the future.
Expected<Instant, std::string> parse_due_time(std::string_view text, Instant now);

// Records a one-off run of `ask.task` (a task of `tasks`) due at `ask.at`, the task's config
// (secrets masked) recorded with it as a manual run's is. Throws store::StoreError when the
// state database fails.
Expected<store::RunRecord, OneOffRefusal> schedule_one_off(store::RunStore& runs,
                                                           const tasks::TaskSet& tasks,
                                                           const OneOffAsk& ask, Instant now);

// Cancels run `id` in the state database (`maintd cancel`, which has no daemon): a one-off run
// waiting for its time never starts; a running run stops at its next heartbeat
// (scheduler::cancel_in_database). `by` names the caller in the log.
scheduler::CancelOutcome cancel_recorded_run(store::RunStore& runs, store::RunId id,
                                             const std::string& by);

}  // namespace maintd::service
