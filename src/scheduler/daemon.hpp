#pragma once
// The daemon behind `maintd serve`: the wiring. One Boost.Asio io_context owns scheduling (a
// timer armed for the planner's next wake, re-reading the clock on every wake), handlers run on
// a worker pool, and signals reload (SIGHUP) or stop (SIGTERM, SIGINT) it. Each job is a unit of
// its own, and the loop calls them:
//
//   task_source.hpp    the tasks: loaded at start, reloaded on SIGHUP, the table polled
//   planner.hpp        which slots are due, when to wake next (no I/O)
//   slot_claimer.hpp   a wake's firings into claimed runs or recorded skips (concurrency
//                      policies, batched claims, firings held while the state database is down)
//   run_launcher.hpp   claimed runs onto the workers: executed, counted, alerted, retried
//   local_runs.hpp     the runs this instance executes (cancel, shutdown, leases, status)
//   run_control.hpp    the admin API's manual runs and cancels
//   pause_gate.hpp     pauses: the firings inside one are recorded, not claimed
//   one_off_runs.hpp   one-off runs (trigger once): started at their time, exactly once
//   lease_keeper.hpp   leases of waiting runs, abandoned runs, this instance's row
//   overdue_watch.hpp  expect_success_within
//   failure_pause.hpp  pause_after_failures: a task that keeps failing is switched off
//   periodic.hpp       the timers of the periodic steps (poll, leases, overdue, watchdog)
//
// Loop, in one place (Daemon::tick):
//   1. read the wall clock; ask the planner what is due (scheduler/planner.hpp names the
//      clock-jump cases: forward small, forward large, backward);
//   2. the slot claimer records each firing's skip or claims its run;
//   3. claimed runs go to the worker pool; a failed run with retries left puts a retry in the
//      planner; one-off runs due are started (unless a pause lasts);
//   4. arm the timer for the next wake (at most kMaxSleep ahead, so a wall-clock step during a
//      long sleep is noticed; every kRetryUnclaimed while firings wait for the state database).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/expected.hpp"
#include "config/config.hpp"
#include "config/environment.hpp"
#include "scheduler/alerts.hpp"
#include "scheduler/failure_pause.hpp"
#include "scheduler/lease_keeper.hpp"
#include "scheduler/local_runs.hpp"
#include "scheduler/metrics.hpp"
#include "scheduler/one_off_runs.hpp"
#include "scheduler/overdue_watch.hpp"
#include "scheduler/pause_gate.hpp"
#include "scheduler/periodic.hpp"
#include "scheduler/planner.hpp"
#include "scheduler/readiness.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/run_launcher.hpp"
#include "scheduler/shutdown_deadline.hpp"
#include "scheduler/slot_claimer.hpp"
#include "scheduler/systemd_notifier.hpp"
#include "scheduler/task_source.hpp"
#include "store/pause_store.hpp"
#include "store/run_journal.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

struct DaemonOptions {
  std::filesystem::path config_path;                        // re-read on SIGHUP
  const registry::Registry* handlers = nullptr;             // the built-in registry
  config::Environment env = config::process_environment();  // for reloads
  std::function<Instant()> now = [] {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  };
  // How the daemon loads its tasks (schedule files synced into the table, plus table tasks).
  // Defaults to tasks::load_tasks; tests may replace it.
  // The set may point at the Config's tasks: the daemon keeps that Config alive with it.
  std::function<tasks::TaskSet(store::TaskTable&, const config::Config&)> load_tasks;
};

// Where a daemon is in its life. The admin API holds its answers while it is starting (503 with
// Retry-After) and /readyz answers 200 only while it runs.
enum class DaemonPhase {
  starting,  // loading its tasks; the loop does not run yet
  running,   // the tasks are loaded and the loop runs
  stopping,  // SIGTERM, SIGINT or stop(): the runs in progress get their grace period
};

class Daemon {
 public:
  // The longest the loop sleeps without re-reading the clock.
  static constexpr std::chrono::seconds kMaxSleep{60};
  // How often firings that met an unavailable state database are tried again.
  static constexpr std::chrono::seconds kRetryUnclaimed = SlotClaimer::kRetryUnclaimed;
  // The most firings claimed in one transaction (SlotClaimer).
  static constexpr std::size_t kClaimBatch = SlotClaimer::kClaimBatch;
  // How often expect_success_within is checked.
  static constexpr std::chrono::seconds kOverdueCheck{30};
  // At shutdown, how long handlers still running at the end of shutdown_grace get to honour
  // their cancellation.
  static constexpr std::chrono::seconds kCancelWait{10};
  // How long after that the process ends whatever it is waiting for (ShutdownDeadline).
  static constexpr std::chrono::seconds kExitMargin{2};

  Daemon(std::shared_ptr<const config::Config> config, std::shared_ptr<store::Database> database,
         DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Loads the tasks and plans from the state database's history, then runs until SIGTERM or
  // SIGINT and a graceful shutdown. Returns the process exit code.
  int run();
  // Asks run() to shut down as SIGTERM does. Any thread.
  void stop();
  // Where run() is (any thread): running from the first thing its loop does, once the tasks
  // are loaded. A daemon driven by its steps (start, tick) without run() stays `starting`.
  DaemonPhase phase() const;
  // Waits until the phase is no longer `starting`, up to `limit`; true when it is `running`.
  bool wait_started(std::chrono::milliseconds limit);

  // The loop's steps, public for tests that drive the daemon with their own clock.
  // Marks runs with an expired lease abandoned, loads the tasks, plans (with the last slots
  // from the state database). In that order: see the definition.
  void start(Instant now);
  void tick(Instant now);                 // fire what is due at `now`
  bool reload(Instant now);               // re-read config and tasks; false (logged) when invalid
  void refresh_table_tasks(Instant now);  // re-read the table only (poll_interval)
  void mark_abandoned();                  // runs whose lease expired, on any instance
  // Waits until no run is executing, up to `limit`; true when idle.
  bool wait_idle(std::chrono::milliseconds limit);
  // Asks every executing run to stop (shutdown after the grace period, or tests).
  void cancel_running();
  std::size_t running() const;
  std::optional<Instant> next_wake() const;
  // "12 tasks, 1 running, next: nightly at 2026-11-25T02:30:00Z"
  std::string status_line() const;
  // Looks for tasks past their expect_success_within; logs, alerts and counts each task that
  // became overdue (and logs each that recovered). Runs every kOverdueCheck on the loop.
  void check_overdue(Instant now);

  // ---- For the service layer (src/service), which the admin API and the dashboard call: safe
  // to call from any thread. runs() and database() are the service's way to the state
  // database; src/http never calls them (tests/layers keeps it from including the store). ----
  std::shared_ptr<const config::Config> current_config() const;
  std::shared_ptr<const tasks::TaskSet> current_tasks() const;
  // The task's next fire time as the planner has it (jitter included); empty when disabled.
  std::optional<Instant> next_fire(const std::string& task) const;
  store::RunStore& runs() { return runs_; }
  store::Database& database() { return *database_; }
  // The daemon's wall clock (DaemonOptions::now).
  Instant now() const { return options_.now(); }
  // Pauses (store/pause_store.hpp), on this daemon's clock.
  store::PauseStore& pauses() { return pauses_; }
  // The pause as this daemon last read it (at most heartbeat_interval old, or as of the last
  // pause_changed()).
  std::optional<store::PauseRecord> last_pause() const { return gate_.last_seen(); }
  // The one-off runs waiting, as last read.
  std::vector<store::RunRecord> waiting_one_offs() const { return one_offs_.waiting(); }
  // A pause, a resume or a one-off run was written (through the service): the pause and the
  // waiting runs are read again now, and the loop re-plans its next wake.
  void pause_or_one_offs_changed();
  // The task table the daemon reads its tasks from (replaced by a reload that changes it).
  std::shared_ptr<store::TaskTable> task_table() const { return source_.table(); }
  const Metrics& metrics() const { return metrics_; }
  // The gauges of a scrape (reads the last successes from the state database).
  Scrape scrape();
  std::vector<OverdueTask> overdue() const;
  // For /readyz: computed from what the loop and the state database's last calls left behind
  // (scheduler/readiness.hpp); never waits for the loop, a session or the server.
  Readiness readiness() const;
  // Records a manual run and starts it on the workers; returns its id at once. Concurrency
  // forbid is enforced against every run in progress in the state database (one check and
  // insert at a time within this process); a manual run is never retried.
  Expected<store::RunId, RunNowRefusal> run_now(const RunNowRequest& request);
  // Stops a run: this instance's own at once (its executor records `cancelled`); another
  // instance's is marked cancelled in the state database, which its executor notices at its
  // next heartbeat. Throws store::StoreError when the state database fails.
  CancelOutcome cancel_run(store::RunId id);
  // scheduled_tasks was changed (enable, disable, edit through the API): re-read it on the
  // loop now instead of at the next poll. The future is ready once that re-read is over, or
  // when it will not happen (the daemon is stopping, or its loop is gone): callers that show
  // the result next wait for it, with a limit, instead of polling current_tasks().
  std::shared_future<void> tasks_changed();

 private:
  // `config` is the one `tasks` were loaded with (their file tasks point into it).
  void set_tasks(tasks::TaskSet tasks, std::shared_ptr<const config::Config> config, Instant now,
                 const std::map<std::string, Instant>& last_slots);
  // The launcher's retry callback: plans it unless the daemon stops or the task went away.
  RunLauncher::Retry plan_retry(const std::string& task, Instant at, int attempt, Instant slot);

  void arm_wake_timer();
  // On the signal thread: SIGHUP posts a reload to the loop, SIGTERM and SIGINT stop at once
  // (begin_shutdown), even while the loop waits for the state database.
  void wait_signals();
  // Any thread: the loop stops, every wait on the state database ends by shutdown_grace from
  // now, and ShutdownDeadline is armed.
  void begin_shutdown();
  // After the loop stopped: the runs in progress get what is left of shutdown_grace, then are
  // cancelled; this instance's row goes.
  void drain();
  // The loop turned (a timer's step ended): for readiness.
  void beat();

  // First, so destroyed last: it guards everything that comes after, to the very end.
  ShutdownDeadline exit_deadline_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<store::Database> database_;
  DaemonOptions options_;
  store::RunStore runs_;
  // The runs' starts, events and finishes, group-committed (store/run_journal.hpp).
  store::RunJournal journal_;
  store::Worker worker_;
  SystemdNotifier notifier_;
  Metrics metrics_;
  Alerts alerts_;
  FailurePause failure_pause_;  // pause_after_failures, on the workers after a last attempt
  store::PauseStore pauses_;
  PauseGate gate_;
  // Held while a policy reads the runs in progress and the run is recorded (a wake's claims, a
  // manual run): forbid holds within this process even between the two.
  std::mutex claim_mutex_;
  LocalRuns local_;
  TaskSource source_;
  OverdueWatch overdue_;
  LeaseKeeper leases_;
  RunLauncher launcher_;  // the worker pool: joined in ~Daemon before anything it uses goes
  SlotClaimer claimer_;
  RunControl control_;
  OneOffRuns one_offs_;

  mutable std::mutex mutex_;  // guards the members below: the loop and the workers share them
  Planner planner_;
  // The task set, shared with the planner and with the runs that use it.
  std::shared_ptr<const tasks::TaskSet> tasks_ = std::make_shared<const tasks::TaskSet>();

  boost::asio::io_context io_;
  boost::asio::steady_timer wake_timer_;
  Periodic poll_timer_;
  Periodic lease_timer_;
  Periodic watchdog_timer_;
  Periodic overdue_timer_;
  // Signals have an io_context and a thread of their own: a loop that waits for the state
  // database must not hold SIGTERM back.
  boost::asio::io_context signal_io_;
  boost::asio::signal_set signals_;
  std::thread signal_thread_;
  std::atomic<bool> stopping_ = false;
  std::atomic<bool> started_ = false;  // see phase(); set under mutex_ for wait_started
  std::condition_variable started_changed_;
  // begin_shutdown: the end of shutdown_grace (steady_clock ns since its epoch).
  std::atomic<long long> grace_end_ns_{0};
  // When the loop last turned (steady_clock ns since its epoch).
  std::atomic<long long> loop_beat_ns_{0};
};

}  // namespace maintd::scheduler
