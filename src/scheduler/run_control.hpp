#pragma once
// Run control: the operations an operator asks of runs through the admin API. A manual run
// (run now) is checked (the task exists, the overrides fit its handler's schema, concurrency:
// forbid against every run in progress), recorded and launched; it has no slot and is never
// retried. A cancel stops this instance's own run at once (its executor records `cancelled`) or
// marks another process's run cancelled in the state database, which that executor notices at
// its next heartbeat; the answer is what the row says.
//
// A unit of its own because it runs on the admin API's threads, not the loop: it shares with
// the loop only the `claims` mutex (a manual run's forbid check and its insert are one step
// against the slot claimer's) and the set of local runs.
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "common/instant.hpp"
#include "scheduler/launch.hpp"
#include "scheduler/local_runs.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// A manual run asked for through the admin API.
struct RunNowRequest {
  std::string task;
  bool dry_run = false;
  nlohmann::json overrides = nlohmann::json::object();  // config keys for this run only
  bool force = false;                                   // start it even while maintd is paused
};

// Why a manual run was not started.
struct RunNowRefusal {
  enum class Reason {
    unknown_task,    // no task of that name
    invalid_config,  // the overrides do not fit the handler's schema (`errors`)
    busy,            // concurrency forbid and a run is in progress (`running`)
    unavailable,     // the state database failed, or the daemon is stopping
    paused,          // maintd is paused and the run was not forced
  };
  Reason reason = Reason::unknown_task;
  std::string message;
  std::vector<std::string> errors;
  std::optional<store::RunId> running;
};

// What cancelling a run did.
struct CancelOutcome {
  enum class Result {
    cancelled,  // this instance stopped its handler, or the row was marked cancelled
    finished,   // the run had already ended (`status`)
    not_found,
  };
  Result result = Result::not_found;
  store::RunStatus status = store::RunStatus::cancelled;
};

// Cancels run `id` in the state database alone: a pending run (a one-off run waiting for its
// time, or a run not started yet) never starts; a running one's executor sees its row cancelled
// at its next heartbeat and stops. For a run that is not this process's own (RunControl), and
// for `maintd cancel`, which has no daemon. Throws store::StoreError when the database fails.
CancelOutcome cancel_in_database(store::RunStore& runs, store::RunId id, const std::string& by);

class RunControl {
 public:
  // `now`: the wall clock (a manual run's firing time).
  RunControl(store::RunStore& runs, LocalRuns& local, std::mutex& claims, Launcher launch,
             std::function<Instant()> now);
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // Records a manual run of a task of `tasks` and launches it with `config`; returns its id at
  // once. Any thread.
  Expected<store::RunId, RunNowRefusal> run_now(
      const RunNowRequest& request, const std::shared_ptr<const tasks::TaskSet>& tasks,
      const std::shared_ptr<const config::Config>& config);
  // Stops run `id`. Throws store::StoreError when the state database fails. Any thread.
  CancelOutcome cancel_run(store::RunId id);

 private:
  store::RunStore& runs_;
  LocalRuns& local_;
  std::mutex& claims_;
  Launcher launch_;
  std::function<Instant()> now_;
};

}  // namespace maintd::scheduler
