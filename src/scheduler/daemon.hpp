#pragma once
// The daemon behind `maintd serve`: one Boost.Asio io_context owns scheduling (a timer armed for
// the planner's next wake, re-reading the clock on every wake), handlers run on a worker pool,
// and signals reload (SIGHUP) or stop (SIGTERM, SIGINT) it.
//
// Loop, in one place (Daemon::tick):
//   1. read the wall clock; ask the planner what is due (scheduler/planner.hpp names the
//      clock-jump cases: forward small, forward large, backward);
//   2. for each firing: a skip is recorded; a run is claimed by inserting its row
//      (UNIQUE (task_name, scheduled_for): with several instances, one wins, the others log at
//      debug level and move on), after the task's concurrency policy had its say. The firings
//      of one wake are claimed together, up to kClaimBatch in one transaction, and the policies
//      read the runs in progress once per wake, not once per firing: 10,000 tasks due in the
//      same second cost a few dozen statements on the loop, not 20,000;
//   3. claimed runs go to the worker pool; a failed run with retries left puts a retry in the
//      planner;
//   4. arm the timer for the next wake (at most kMaxSleep ahead, so a wall-clock step during a
//      long sleep is noticed).
// Firings that could not be claimed because the state database was unavailable are kept and
// tried again every few seconds while they are inside their catch-up window.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "common/expected.hpp"
#include "config/config.hpp"
#include "config/environment.hpp"
#include "scheduler/alerts.hpp"
#include "scheduler/metrics.hpp"
#include "scheduler/planner.hpp"
#include "scheduler/readiness.hpp"
#include "scheduler/run_executor.hpp"
#include "scheduler/shutdown_deadline.hpp"
#include "scheduler/systemd_notifier.hpp"
#include "store/run_store.hpp"
#include "store/task_set.hpp"

namespace maintd::scheduler {

struct DaemonOptions {
  std::filesystem::path config_path;                        // re-read on SIGHUP
  const registry::Registry* handlers = nullptr;             // the built-in registry
  config::Environment env = config::process_environment();  // for reloads
  std::function<Instant()> now = [] {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  };
  // How the daemon loads its tasks (schedule files synced into the table, plus table tasks).
  // Defaults to store::load_tasks; tests may replace it.
  // The set may point at the Config's tasks: the daemon keeps that Config alive with it.
  std::function<store::TaskSet(store::Database&, const config::Config&)> load_tasks;
};

// A manual run asked for through the admin API.
struct RunNowRequest {
  std::string task;
  bool dry_run = false;
  nlohmann::json overrides = nlohmann::json::object();  // config keys for this run only
};

// Why a manual run was not started.
struct RunNowRefusal {
  enum class Reason {
    unknown_task,    // no task of that name
    invalid_config,  // the overrides do not fit the handler's schema (`errors`)
    busy,            // concurrency forbid and a run is in progress (`running`)
    unavailable,     // the state database failed, or the daemon is stopping
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

// A task past its expect_success_within: no completed run for that long.
struct OverdueTask {
  std::string task;
  std::chrono::seconds expected{0};
  std::optional<store::Timestamp> last_success;  // empty: none recorded
  Instant since;  // what the window counts from: the last success, or when watching began
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
  static constexpr std::chrono::seconds kRetryUnclaimed{5};
  // The most firings claimed in one transaction: the first runs of a large batch start while
  // the rest is being claimed, and the state database's write lock is held briefly.
  static constexpr std::size_t kClaimBatch = 256;
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

  // ---- For the admin API (src/http): safe to call from any thread. ----
  std::shared_ptr<const config::Config> current_config() const;
  std::shared_ptr<const store::TaskSet> current_tasks() const;
  // The task's next fire time as the planner has it (jitter included); empty when disabled.
  std::optional<Instant> next_fire(const std::string& task) const;
  store::RunStore& runs() { return runs_; }
  store::Database& database() { return *database_; }
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
  struct Active {
    std::string task;
    std::shared_ptr<std::stop_source> stop;
    // When the run's lease was last written by this daemon (its claim, then mark_abandoned's
    // renewals while it waits for a worker).
    std::chrono::steady_clock::time_point renewed = std::chrono::steady_clock::now();
  };

  using TaskPtr = std::shared_ptr<const config::Task>;  // shares the task set it belongs to
  // Runs pending or running, by task, as the concurrency policies see them during one tick.
  using ActiveRuns = std::unordered_map<std::string, std::vector<store::RunRecord>>;
  // A firing on its way to its claim: a run to start, or a skip to record.
  struct Claim {
    Firing firing;
    TaskPtr task;
    store::NewRun run;
  };

  // The concurrency policy for a firing of `task`, given its runs in progress: empty to run it,
  // else why the slot is recorded as skipped (forbid). replace cancels the runs in progress.
  std::string apply_concurrency(const config::Task& task, const Firing& firing,
                                const std::vector<store::RunRecord>& active);
  // Claims `batch` in one transaction and starts the runs won; empties it.
  void claim_batch(std::vector<Claim>& batch, ActiveRuns* active,
                   const std::shared_ptr<const config::Config>& config, Instant now);
  // A firing that met an unavailable state database: kept for the next try while it is inside
  // its catch-up window, else logged as lost.
  void keep_unclaimed(const Firing& firing, const config::Task& task, Instant now,
                      const store::StoreError& error);
  // Starts a claimed run on the workers. `config` and `dry_run` are the run's (a manual run's
  // overrides applied); `may_retry` is false for manual runs.
  void execute(store::RunId id, TaskPtr task, const Firing& firing,
               std::shared_ptr<const config::Config> config, nlohmann::json run_config,
               bool dry_run, bool may_retry);
  // The outcome of a run this instance executed: metrics, and an alert for a failure or
  // timeout unless a retry follows.
  void report_outcome(const config::Task& task, const RunOutcome& outcome, bool will_retry);
  // `config` is the one `tasks` were loaded with (their file tasks point into it).
  void set_tasks(store::TaskSet tasks, std::shared_ptr<const config::Config> config, Instant now,
                 const std::map<std::string, Instant>& last_slots);
  TaskPtr find_task(const std::string& name) const;

  void arm_wake_timer();
  // Runs `work` every `every` on the loop; `what` names it in the log if it throws.
  void arm_periodic(boost::asio::steady_timer& timer, std::chrono::milliseconds every,
                    std::string what, std::function<void()> work);
  // On the signal thread: SIGHUP posts a reload to the loop, SIGTERM and SIGINT stop at once
  // (begin_shutdown), even while the loop waits for the state database.
  void wait_signals();
  // Any thread: the loop stops, every wait on the state database ends by shutdown_grace from
  // now, and ShutdownDeadline is armed.
  void begin_shutdown();
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
  // Held while a policy reads the runs in progress and the run is recorded (a tick's claims, a
  // manual run): forbid holds within this process even between the two.
  std::mutex claim_mutex_;

  mutable std::mutex mutex_;  // guards the members below: the loop and the workers share them
  Planner planner_;
  // The task set, shared with the planner and with the runs that use it.
  std::shared_ptr<const store::TaskSet> tasks_ = std::make_shared<const store::TaskSet>();
  std::vector<Firing> unclaimed_;  // firings that met an unavailable state database
  // scheduled_tasks' version as of the last load (store::task_table_version), set by the
  // default task loader: a poll that finds the same version reads nothing more. Empty (a loader
  // from DaemonOptions, or a failed load): every poll reads the table. Loop thread only.
  std::string table_version_;
  std::map<store::RunId, Active> active_;
  std::map<std::string, OverdueTask> overdue_;  // by task
  // When this daemon first had each task: where expect_success_within counts from for a task
  // that never succeeded.
  std::unordered_map<std::string, Instant> first_seen_;
  std::condition_variable idle_;

  boost::asio::io_context io_;
  boost::asio::thread_pool workers_;
  boost::asio::steady_timer wake_timer_;
  boost::asio::steady_timer poll_timer_;
  boost::asio::steady_timer lease_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer overdue_timer_;
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
  // Why the last periodic write (this instance's row) failed; empty when it succeeded. For
  // readiness: a database that answers but refuses writes cannot record runs.
  mutable std::mutex write_mutex_;
  std::string write_problem_;
};

}  // namespace maintd::scheduler
