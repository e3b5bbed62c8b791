#pragma once
// Recorded runs to the worker pool: each run is executed there (RunExecutor), its outcome
// counted (metrics) and alerted (a failure or a timeout, once no retry follows), and a failed or
// timed-out scheduled run with retries left goes back to the daemon for a retry, after
// retry_backoff * 2^(attempt-1).
//
// A unit of its own because it is what runs on the workers rather than on the loop: everything
// it touches is thread-safe (the store, the journal, the metrics, the alerts, LocalRuns), and it
// reaches the daemon's plan only through the retry callback.
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/instant.hpp"
#include "scheduler/alerts.hpp"
#include "scheduler/launch.hpp"
#include "scheduler/local_runs.hpp"
#include "scheduler/metrics.hpp"
#include "scheduler/run_executor.hpp"
#include "store/run_journal.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// The wait before retry n+1 of a run that failed at attempt n: retry_backoff * 2^(n-1).
std::chrono::seconds retry_delay(const config::Policies& policies, int failed_attempt);

class RunLauncher {
 public:
  // What became of a retry asked for.
  enum class Retry {
    planned,
    task_gone,  // the task was removed or disabled while its run was going
    stopping,   // the daemon is stopping: nothing more is planned
  };
  struct Options {
    store::Worker worker;  // recorded on each run when it starts
    std::size_t workers = 4;
    std::function<Instant()> now;  // the wall clock (alerts, retries)
    // The tasks handlers see as their peers (the daemon's whole set).
    std::function<std::shared_ptr<const tasks::TaskSet>()> peers;
    // Plans attempt `attempt` of `task`'s slot `slot` at `at`.
    std::function<Retry(const std::string& task, Instant at, int attempt, Instant slot)> retry;
    // After the outcome is recorded (scheduler/run_write_back.hpp); may be empty.
    std::function<void(const config::Task& task, const RunOutcome& outcome)> after_run;
    // After that, when no retry follows: the run's last attempt (pause_after_failures,
    // scheduler/failure_pause.hpp); may be empty.
    std::function<void(const config::Task& task, const RunOutcome& outcome)> after_last_attempt;
  };

  RunLauncher(store::RunStore& runs, store::RunJournal& journal, LocalRuns& local, Metrics& metrics,
              Alerts& alerts, Options options);
  ~RunLauncher();  // join()
  RunLauncher(const RunLauncher&) = delete;
  RunLauncher& operator=(const RunLauncher&) = delete;

  // Adds the run to LocalRuns and queues it for a worker; returns at once.
  void launch(Launch launch);
  // Waits for the workers to finish what they have (stop the runs first: LocalRuns::stop_all).
  void join();

 private:
  void execute(const Launch& launch, const std::stop_source& stop);
  // Metrics, and an alert for a failure or timeout unless a retry follows.
  void report_outcome(const config::Task& task, const RunOutcome& outcome, bool will_retry);

  store::RunStore& runs_;
  store::RunJournal& journal_;
  LocalRuns& local_;
  Metrics& metrics_;
  Alerts& alerts_;
  Options options_;
  boost::asio::thread_pool workers_;
};

}  // namespace maintd::scheduler
