#pragma once
// The pause gate: what a pause (store/pause_store.hpp) does to the daemon's firings. The slot
// claimer passes each wake's firings through it before claiming any, so a pause written by any
// process takes effect before the next slot starts, on every daemon sharing the state database.
//
//   a pause lasts now                -> no firing starts: each slot (or catch-up run) of a task
//                                       is recorded in that pause's one skipped run of the task
//                                       (coalesced; store/pause_store.hpp), a retry is dropped
//                                       with a warning (the failed run has its record)
//   no pause now, but the firing's   -> a catch-up run of a slot missed while maintd was down
//     slot fell inside a past pause     and paused: recorded in that pause's record, not run.
//                                       Slots inside a pause are never caught up, whoever comes
//                                       back when.
//   otherwise                        -> the firing goes on to be claimed
//   the planner's own skips          -> go on as they are (slots older than the catch-up window)
//
// After a pause ends the schedules go on from their next slot: what fell inside the pause is
// recorded, not run; a slot missed after the pause ended (maintd was down) is caught up under
// the task's catch-up policy as always.
//
// It also keeps the pause as last read, for the status line and the log ("paused", "resumed",
// said once each by every daemon when it notices), refreshed at every heartbeat_interval.
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/metrics.hpp"
#include "scheduler/planner.hpp"
#include "store/pause_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// The paused run's reason: "paused by alice@db1 since 2026-12-08T01:00:00Z until ...: deploy;
// 3 slots from ... to ... not run".
std::string paused_reason(const store::PauseRecord& pause, int slots, Instant first, Instant last);
// Slots of `task` in [first, last] (first counts), up to kMissedCountLimit + 1.
int slots_between(const config::Task& task, Instant first, Instant last);

class PauseGate {
 public:
  PauseGate(store::PauseStore& pauses, Metrics& metrics);
  PauseGate(const PauseGate&) = delete;
  PauseGate& operator=(const PauseGate&) = delete;

  // Records the firings that fall inside a pause and removes them from `firings`; the others
  // stay, in order. Throws store::StoreError when the state database fails (and then leaves
  // `firings` as it was: the caller holds them).
  void filter(std::vector<Firing>& firings, const tasks::TaskSet& tasks, Instant now);

  // Reads the current pause, logs when it began or ended since the last read; returns it.
  // A failure is logged and keeps the last pause seen. Any thread.
  std::optional<store::PauseRecord> refresh();
  // The pause as last read (refresh() or filter()). Any thread.
  std::optional<store::PauseRecord> last_seen() const;

 private:
  void saw(const std::optional<store::PauseRecord>& pause);

  store::PauseStore& pauses_;
  Metrics& metrics_;
  mutable std::mutex mutex_;
  std::optional<store::PauseRecord> seen_;
};

}  // namespace maintd::scheduler
