#pragma once
// One-off runs (`maintd run TASK --at TIME`, POST /api/v1/scheduled-tasks/{name}/run with `at`):
// recorded `pending` with trigger `once` and a due_at by whoever asks, started by whichever
// daemon is up at that time.
//
// Exactly once: the start is one conditional UPDATE pending -> running (store::RunStore::start),
// made on the loop before the run goes to a worker. Of two daemons due at the same second, one
// wins; the other finds the row running and moves on. A cancel (pending -> cancelled) that lands
// first wins the same way: the run never starts.
//
// When a one-off run comes due:
//   a pause lasts                          -> it waits (stays pending) and starts when the
//                                             pause ends; its lateness counts from then
//   its task is no longer configured       -> cancelled, with the reason
//   later than max(catchup, 60 s) after    -> skipped (pending -> skipped), with the reason: no
//     its time (or the pause's end)           daemon was up to start it in time
//   concurrency forbid, a run in progress  -> skipped, with the reason (as a slot would be)
//   otherwise                              -> started; concurrency replace cancels the runs in
//                                             progress first, as for a slot
// A one-off run is never retried (like a manual run: an operator asked for one run), runs the
// task's config as it is when it starts, and runs even if the task is disabled (it was asked
// for by name, as `maintd run` is).
//
// The daemon reads the waiting runs at start, at every heartbeat_interval, and at once when it
// recorded one itself (the admin API): a run recorded by `maintd run --at` from another process
// is seen within heartbeat_interval, so its start is that late at most when it is due sooner.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/launch.hpp"
#include "scheduler/local_runs.hpp"
#include "store/pause_store.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

class OneOffRuns {
 public:
  // The concurrency policy for a firing (SlotClaimer::apply_concurrency): empty to run it, else
  // why it is skipped.
  using Policy = std::function<std::string(const config::Task&, const Firing&,
                                           const std::vector<store::RunRecord>&)>;

  OneOffRuns(store::RunStore& runs, store::PauseStore& pauses, std::mutex& claims, Launcher launch,
             Policy policy, store::Worker worker);
  OneOffRuns(const OneOffRuns&) = delete;
  OneOffRuns& operator=(const OneOffRuns&) = delete;

  // Reads the waiting one-off runs again (a failure is logged; the last read stays). Any thread.
  void refresh();
  // The earliest due time among the waiting runs as last read. Any thread.
  std::optional<Instant> next_due() const;
  // The waiting runs as last read, the earliest due first. Any thread.
  std::vector<store::RunRecord> waiting() const;
  // Starts (or skips, or cancels: see above) each waiting run due at `now`. On the loop.
  void start_due(const std::shared_ptr<const tasks::TaskSet>& tasks,
                 const std::shared_ptr<const config::Config>& config, Instant now);

 private:
  // What to do with one run that is due and not paused.
  void settle(const store::RunRecord& run, const std::shared_ptr<const tasks::TaskSet>& tasks,
              const std::shared_ptr<const config::Config>& config, Instant now,
              const std::vector<store::PauseRecord>& pauses);

  store::RunStore& runs_;
  store::PauseStore& pauses_;
  std::mutex& claims_;
  Launcher launch_;
  Policy policy_;
  store::Worker worker_;
  mutable std::mutex mutex_;
  std::vector<store::RunRecord> waiting_;
};

}  // namespace maintd::scheduler
