#pragma once
// The overdue watch: expect_success_within. A watched task (enabled, with the policy) is overdue
// when it has had no completed run for longer than its window, counted from its last success in
// the state database (any instance's run), or, for a task that never succeeded, from when this
// daemon first had it. Each task that becomes overdue is logged as an error and alerted once;
// each that recovers is logged; overdue() is the list /metrics and the API show.
//
// A unit of its own because it is the one part of the daemon that watches for what did not
// happen: it reads only the last successes, on its own period (Daemon::kOverdueCheck), and an
// unknown (a failed read) is never taken for overdue: the previous answer stays.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/instant.hpp"
#include "scheduler/alerts.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// A task past its expect_success_within: no completed run for that long.
struct OverdueTask {
  std::string task;
  std::chrono::seconds expected{0};
  std::optional<store::Timestamp> last_success;  // empty: none recorded
  Instant since;  // what the window counts from: the last success, or when watching began
};

class OverdueWatch {
 public:
  OverdueWatch(store::RunStore& runs, Alerts& alerts);
  OverdueWatch(const OverdueWatch&) = delete;
  OverdueWatch& operator=(const OverdueWatch&) = delete;

  // The daemon has `tasks` as of `now` (start, reload, poll): a watched task seen for the first
  // time counts from `now` until it first succeeds.
  void saw(const tasks::TaskSet& tasks, Instant now);
  // Looks for tasks of `tasks` past their window at `now`: logs, alerts each that became overdue
  // and logs each that recovered.
  void check(const tasks::TaskSet& tasks, Instant now);
  // The tasks overdue as of the last check, by name. Any thread.
  std::vector<OverdueTask> overdue() const;

 private:
  store::RunStore& runs_;
  Alerts& alerts_;
  mutable std::mutex mutex_;                    // guards the members below
  std::map<std::string, OverdueTask> overdue_;  // by task
  std::unordered_map<std::string, Instant> first_seen_;
};

}  // namespace maintd::scheduler
