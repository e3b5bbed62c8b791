// The daemon's wiring and its loop: see daemon.hpp. What each step does is in its unit; here is
// when it happens, on which thread, and in what order.
#include "scheduler/daemon.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>

#include "common/duration.hpp"
#include "scheduler/loop_guard.hpp"
#include "scheduler/run_write_back.hpp"
#include "scheduler/worker_identity.hpp"
#include "store/slot_history.hpp"
#include "store/store_error.hpp"
#include "tasks/task_table_open.hpp"

namespace maintd::scheduler {

using namespace std::chrono_literals;

namespace {

// "2026-03-29T01:00:00Z": how times are printed.
std::string utc_text(store::Timestamp at) {
  return format_utc(std::chrono::floor<std::chrono::seconds>(at));
}

}  // namespace

Daemon::Daemon(std::shared_ptr<const config::Config> config,
               std::shared_ptr<store::Database> database, DaemonOptions options)
    : config_(std::move(config)),
      database_(std::move(database)),
      options_(std::move(options)),
      runs_(database_, store::system_clock()),
      journal_(database_, store::system_clock(), journal_settings()),
      worker_(this_process_worker()),
      failure_pause_(runs_, FailurePause::Options{
                                .table = [this] { return source_.table(); },
                                .now = options_.now,
                                .clock = store::system_clock(),
                                .raise = [this](Alert alert) { alerts_.raise(std::move(alert)); },
                                .tasks_changed = [this] { (void)tasks_changed(); }}),
      pauses_(database_,
              [this] {
                return std::chrono::time_point_cast<std::chrono::milliseconds>(options_.now());
              }),
      gate_(pauses_, metrics_),
      source_(tasks::open_task_table(database_, *config_),
              TaskSource::Options{.config_path = options_.config_path,
                                  .handlers = options_.handlers,
                                  .env = options_.env,
                                  .load_tasks = options_.load_tasks}),
      overdue_(runs_, alerts_),
      leases_(database_, runs_, local_, metrics_, alerts_, worker_, options_.now),
      launcher_(runs_, journal_, local_, metrics_, alerts_,
                RunLauncher::Options{
                    .worker = worker_,
                    .workers = static_cast<std::size_t>(std::max(1, config_->daemon.workers)),
                    .now = options_.now,
                    .peers = [this] { return current_tasks(); },
                    .retry = [this](const std::string& task, Instant at, int attempt,
                                    Instant slot) { return plan_retry(task, at, attempt, slot); },
                    .after_run =
                        [this](const config::Task& task, const RunOutcome& outcome) {
                          write_back_outcome(*source_.table(), task, outcome, options_.now());
                        },
                    .after_last_attempt =
                        [this](const config::Task& task, const RunOutcome& outcome) {
                          failure_pause_.after_last_attempt(task, outcome);
                        }}),
      claimer_(
          runs_, journal_, local_, metrics_, claim_mutex_,
          [this](Launch launch) { launcher_.launch(std::move(launch)); }, &gate_),
      control_(
          runs_, local_, claim_mutex_,
          [this](Launch launch) { launcher_.launch(std::move(launch)); }, options_.now),
      one_offs_(
          runs_, pauses_, claim_mutex_,
          [this](Launch launch) { launcher_.launch(std::move(launch)); },
          [this](const config::Task& task, const Firing& firing,
                 const std::vector<store::RunRecord>& active) {
            return claimer_.apply_concurrency(task, firing, active);
          },
          worker_),
      wake_timer_(io_),
      poll_timer_(
          io_, [this] { return stopping_.load(); }, [this] { beat(); }),
      lease_timer_(
          io_, [this] { return stopping_.load(); }, [this] { beat(); }),
      watchdog_timer_(
          io_, [this] { return stopping_.load(); }, [this] { beat(); }),
      overdue_timer_(
          io_, [this] { return stopping_.load(); }, [this] { beat(); }),
      signals_(signal_io_) {
  alerts_.configure(config_->notify);
  beat();
  // Said once when it happens, from whichever call noticed: the loop, a run or a request.
  // Messages name the database without its password (store_error.hpp).
  database_->observe_availability(
      [display = database_->display()](bool answering, const std::string& message) {
        if (answering) {
          spdlog::info("the state database {} answers again", display);
        } else {
          spdlog::warn("the state database is not answering: {}", message);
        }
      });
}

Daemon::~Daemon() {
  database_->observe_availability(nullptr);
  signal_io_.stop();
  if (signal_thread_.joinable()) signal_thread_.join();
  cancel_running();
  launcher_.join();
}

void Daemon::beat() {
  loop_beat_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
}

Readiness Daemon::readiness() const {
  ReadinessInput input;
  input.now = std::chrono::steady_clock::now();
  input.stopping = stopping_;
  input.database = database_->health();
  input.database_display = database_->display();
  // current_config(): a reload replaces config_ on the loop meanwhile.
  const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      current_config()->daemon.heartbeat_interval);
  // The loop calls the database at least every heartbeat_interval (leases, this instance's
  // row); each call may take answer_limit() (for SQLite: its busy timeout, 5 s by default).
  const auto call = std::max<std::chrono::milliseconds>(database_->answer_limit(), 5s);
  input.answer_allowance = 2 * interval + call;
  input.loop_beat = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(loop_beat_ns_));
  // A tick may make many calls (a burst of claims): the loop gets more room than one call.
  input.loop_allowance = std::max<std::chrono::milliseconds>(3 * interval, kMaxSleep) + 4 * call;
  input.write_problem = leases_.write_problem();
  input.last_write_failed = !input.write_problem.empty();
  return assess_readiness(input);
}

void Daemon::set_tasks(tasks::TaskSet tasks, std::shared_ptr<const config::Config> config,
                       Instant now, const std::map<std::string, Instant>& last_slots) {
  tasks.keep_alive(std::move(config));
  auto shared = std::make_shared<const tasks::TaskSet>(std::move(tasks));
  overdue_.saw(*shared, now);
  {
    std::lock_guard lock(mutex_);
    tasks_ = std::move(shared);
    planner_.set_shared_tasks(tasks_, now, last_slots);
  }
  // Loading a large task set leaves tens of megabytes freed (YAML trees, rows read, the previous
  // set) that glibc keeps mapped; hand them back (100,000 tasks: about 35 MB).
  malloc_trim(0);
}

void Daemon::start(Instant now) {
  // Runs whose lease expired while no daemon watched them (this one was killed, say) end first:
  // a forbid task's catch-up would otherwise be skipped for a run that is already dead.
  mark_abandoned();
  auto tasks = source_.load(*config_);
  set_tasks(std::move(tasks), config_, now, store::last_scheduled_slots(*database_));
  gate_.refresh();
  one_offs_.refresh();
}

void Daemon::tick(Instant now) {
  std::vector<Firing> due;
  std::shared_ptr<const tasks::TaskSet> tasks;
  std::shared_ptr<const config::Config> config;
  {
    std::lock_guard lock(mutex_);
    due = planner_.due(now);
    tasks = tasks_;
    config = config_;
  }
  claimer_.claim(std::move(due), tasks, config, now);
  one_offs_.start_due(tasks, config, now);
}

RunLauncher::Retry Daemon::plan_retry(const std::string& task, Instant at, int attempt,
                                      Instant slot) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return RunLauncher::Retry::stopping;
    if (!planner_.add_retry(task, at, attempt, slot)) return RunLauncher::Retry::task_gone;
  }
  boost::asio::post(io_, [this] { guard_step("planning a retry", [this] { arm_wake_timer(); }); });
  return RunLauncher::Retry::planned;
}

bool Daemon::reload(Instant now) {
  auto reloaded = source_.reload(*current_tasks());
  if (!reloaded) return false;
  {
    std::lock_guard lock(mutex_);
    config_ = reloaded->config;  // running runs keep the config they started with
  }
  alerts_.configure(reloaded->config->notify);
  set_tasks(std::move(reloaded->tasks), reloaded->config, now, {});
  spdlog::info("reloaded: {}", status_line());
  return true;
}

void Daemon::refresh_table_tasks(Instant now) {
  const auto config = current_config();
  if (auto tasks = source_.refresh(*config)) set_tasks(std::move(*tasks), config, now, {});
}

void Daemon::mark_abandoned() {
  const auto config = current_config();
  leases_.renew_waiting(config->daemon);
  leases_.abandon_expired(config->daemon.lease);
}

bool Daemon::wait_idle(std::chrono::milliseconds limit) {
  return local_.wait_idle(limit);
}

void Daemon::cancel_running() {
  local_.stop_all();
}

std::size_t Daemon::running() const {
  return local_.size();
}

std::optional<Instant> Daemon::next_wake() const {
  std::lock_guard lock(mutex_);
  return planner_.next_wake();
}

std::string Daemon::status_line() const {
  std::lock_guard lock(mutex_);
  std::string next = "nothing scheduled";
  // The head of the planner's queue: no walk over the tasks (this runs at every wake).
  if (const auto earliest = planner_.next_firing()) {
    next = fmt::format("next: {} at {}", earliest->first, format_utc(earliest->second));
  }
  std::string paused;
  if (const auto pause = gate_.last_seen()) {
    paused = fmt::format(", paused by {} since {}", pause->paused_by, utc_text(pause->paused_at));
  }
  return fmt::format("{} task{}, {} running, {}{}", tasks_->size(), tasks_->size() == 1 ? "" : "s",
                     local_.size(), next, paused);
}

void Daemon::check_overdue(Instant now) {
  overdue_.check(*current_tasks(), now);
}

std::vector<OverdueTask> Daemon::overdue() const {
  return overdue_.overdue();
}

Expected<store::RunId, RunNowRefusal> Daemon::run_now(const RunNowRequest& request) {
  if (stopping_) {
    return Unexpected{
        RunNowRefusal{RunNowRefusal::Reason::unavailable, "maintd is stopping", {}, {}}};
  }
  if (!request.force) {
    // Read now, not as last polled: a pause taken a second ago holds.
    try {
      if (const auto pause = pauses_.current()) {
        return Unexpected{RunNowRefusal{
            RunNowRefusal::Reason::paused,
            fmt::format("maintd is paused by {} since {}{}{}: force the run to start it anyway",
                        pause->paused_by, utc_text(pause->paused_at),
                        pause->until ? " until " + utc_text(*pause->until) : "",
                        pause->reason.empty() ? "" : " (" + pause->reason + ")"),
            {},
            {}}};
      }
    } catch (const store::StoreError& e) {
      return Unexpected{RunNowRefusal{RunNowRefusal::Reason::unavailable, e.what(), {}, {}}};
    }
  }
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const tasks::TaskSet> tasks;
  {
    std::lock_guard lock(mutex_);
    config = config_;
    tasks = tasks_;
  }
  return control_.run_now(request, tasks, config);
}

CancelOutcome Daemon::cancel_run(store::RunId id) {
  return control_.cancel_run(id);
}

void Daemon::pause_or_one_offs_changed() {
  // Read here (both are thread-safe), so that whoever shows the state next already has it.
  gate_.refresh();
  one_offs_.refresh();
  boost::asio::post(io_, [this] {
    if (stopping_) return;
    guard_step("re-planning after a pause or a one-off run", [this] {
      one_offs_.start_due(current_tasks(), current_config(), options_.now());
      wake_timer_.cancel();
      arm_wake_timer();
    });
  });
}

std::shared_future<void> Daemon::tasks_changed() {
  // Set when the step ends, however it ends. Were the loop to drop the step unrun (its
  // io_context destroyed), the promise goes with it and the future turns ready as broken: a
  // waiter is never left waiting for a loop that is gone.
  auto applied = std::make_shared<std::promise<void>>();
  std::shared_future<void> future = applied->get_future().share();
  boost::asio::post(io_, [this, applied] {
    if (!stopping_) {
      guard_step("re-reading scheduled_tasks after a change", [this] {
        refresh_table_tasks(options_.now());
        wake_timer_.cancel();  // re-plan with the new tasks
        arm_wake_timer();
      });
    }
    applied->set_value();
  });
  return future;
}

std::shared_ptr<const config::Config> Daemon::current_config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

std::shared_ptr<const tasks::TaskSet> Daemon::current_tasks() const {
  std::lock_guard lock(mutex_);
  return tasks_;
}

std::optional<Instant> Daemon::next_fire(const std::string& task) const {
  std::lock_guard lock(mutex_);
  return planner_.next_slot(task);
}

Scrape Daemon::scrape() {
  Scrape scrape;
  const auto tasks = current_tasks();
  scrape.tasks = tasks->size();
  for (const auto& task : *tasks) scrape.tasks_enabled += task.enabled ? 1 : 0;
  scrape.running = running();
  try {
    scrape.last_success = runs_.last_successes();
  } catch (const store::StoreError& e) {
    // The scrape still answers with what the process knows; the gap shows in the graphs.
    spdlog::warn("metrics: reading the last successes: {}", e.what());
  }
  for (const auto& overdue : overdue()) scrape.overdue.push_back(overdue.task);
  try {
    scrape.pause = pauses_.current();
  } catch (const store::StoreError& e) {
    spdlog::warn("metrics: reading the pause: {}", e.what());
    scrape.pause = gate_.last_seen();
  }
  return scrape;
}

void Daemon::arm_wake_timer() {
  if (stopping_) return;
  const Instant now = options_.now();
  std::chrono::seconds sleep = kMaxSleep;
  {
    std::lock_guard lock(mutex_);
    if (auto wake = planner_.next_wake()) sleep = std::clamp(*wake - now, 0s, kMaxSleep);
  }
  // One-off runs wait out a pause: while one lasts, wake at its end (if it has one) instead.
  const auto pause = gate_.last_seen();
  if (pause && pause->lasts_at(std::chrono::time_point_cast<std::chrono::milliseconds>(now))) {
    if (pause->until) {
      const auto until = std::chrono::ceil<std::chrono::seconds>(*pause->until);
      sleep = std::min(sleep, std::clamp(until - now, 0s, kMaxSleep));
    }
  } else if (const auto due = one_offs_.next_due()) {
    // One still due after the tick could not start (the state database): try again shortly.
    sleep = std::min(sleep, *due <= now ? std::chrono::seconds(kRetryUnclaimed)
                                        : std::clamp(*due - now, 0s, kMaxSleep));
  }
  if (claimer_.holding()) sleep = std::min(sleep, std::chrono::seconds(kRetryUnclaimed));
  // Wake on the second boundary: slots are whole seconds, and waking a hair early would find
  // nothing due and sleep again.
  const auto fraction = std::chrono::system_clock::now().time_since_epoch() % 1s;
  wake_timer_.expires_after(sleep - fraction + 1ms);
  wake_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    beat();
    guard_step("firing the due slots", [this] { tick(options_.now()); });
    guard_step("reporting the status to systemd", [this] { notifier_.status(status_line()); });
    // Re-armed whatever the tick did: a loop that stops waking fires nothing again.
    arm_wake_timer();
  });
}

void Daemon::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading the configuration");
      boost::asio::post(io_, [this] {
        guard_step("reloading the configuration (SIGHUP)", [this] {
          if (stopping_) return;
          reload(options_.now());
          notifier_.status(status_line());
          wake_timer_.cancel();  // re-plan with the new tasks
          arm_wake_timer();
        });
      });
      wait_signals();
      return;
    }
    spdlog::info("{}: stopping; waiting up to {} for {} running run(s)",
                 signal == SIGTERM ? "SIGTERM" : "SIGINT",
                 format_duration(current_config()->daemon.shutdown_grace), running());
    begin_shutdown();
  });
}

void Daemon::begin_shutdown() {
  // Any thread (the signal thread: current_config(), as a reload may be replacing config_).
  if (stopping_.exchange(true)) return;
  const auto grace = std::chrono::duration_cast<std::chrono::milliseconds>(
      current_config()->daemon.shutdown_grace);
  const auto grace_end = std::chrono::steady_clock::now() + grace;
  grace_end_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(grace_end.time_since_epoch()).count();
  notifier_.stopping();
  // A call waiting for a server that does not answer ends by the end of the grace period; once
  // one has gone unanswered, the next ones (recording the runs' ends, withdrawing this
  // instance) fail at once instead of waiting again.
  database_->shorten_waits(grace);
  exit_deadline_.arm(grace_end + kCancelWait + kExitMargin, 0);
  // The loop's timers see stopping_ and do not re-arm; a step under way ends first, within the
  // limits above.
  io_.stop();
}

int Daemon::run() {
  const Instant now = options_.now();
  start(now);
  tick(now);
  signals_.add(SIGHUP);
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  wait_signals();
  signal_thread_ = std::thread([this] { signal_io_.run(); });
  arm_wake_timer();
  poll_timer_.start("re-reading scheduled_tasks", config_->daemon.poll_interval,
                    [this] { refresh_table_tasks(options_.now()); });
  lease_timer_.start("renewing leases and marking abandoned runs",
                     config_->daemon.heartbeat_interval, [this] {
                       mark_abandoned();
                       // A pause or a one-off run written by another process is seen here.
                       gate_.refresh();
                       one_offs_.refresh();
                       // One that waited out a pause ended elsewhere starts now.
                       one_offs_.start_due(current_tasks(), current_config(), options_.now());
                       wake_timer_.cancel();
                       arm_wake_timer();
                       leases_.announce(false, status_line());
                     });
  if (const auto interval = notifier_.watchdog_interval()) {
    // Pinged from the loop itself: a stuck loop stops pinging and systemd restarts us.
    watchdog_timer_.start("pinging the systemd watchdog",
                          std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2),
                          [this] { notifier_.watchdog(); });
  }
  overdue_timer_.start("checking expect_success_within", kOverdueCheck,
                       [this] { check_overdue(options_.now()); });
  check_overdue(now);
  leases_.announce(true, status_line());
  // Started (the admin API answers, /readyz says ready, systemd hears READY=1) from the first
  // thing the loop does: the tasks are loaded and the loop runs. Not before, or a request right
  // after "HTTP API listening" would find no tasks and answer 404.
  boost::asio::post(io_, [this] {
    {
      std::lock_guard lock(mutex_);
      started_ = true;
    }
    started_changed_.notify_all();
    spdlog::info("maintd started: {}", status_line());
    notifier_.ready(status_line());
  });
  io_.run();
  begin_shutdown();  // no-op after a signal; here for a loop that stopped otherwise
  drain();
  spdlog::info("maintd stopped");
  return 0;
}

void Daemon::drain() {
  // Running handlers get what is left of the grace period (counted from the signal), then are
  // cancelled (recorded cancelled).
  const auto grace_end =
      std::chrono::steady_clock::time_point(std::chrono::nanoseconds(grace_end_ns_.load()));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      grace_end - std::chrono::steady_clock::now());
  if (!wait_idle(std::max(left, 0ms))) {
    spdlog::warn("shutdown: {} run(s) still running after {}: cancelling them", running(),
                 format_duration(config_->daemon.shutdown_grace));
    cancel_running();
    if (!wait_idle(kCancelWait)) {
      // A handler that ignores cancellation cannot be waited for forever: leave; its run is
      // marked abandoned when its lease expires.
      spdlog::error("shutdown: {} handler(s) ignored cancellation; exiting anyway", running());
      spdlog::shutdown();
      std::_Exit(0);
    }
  }
  leases_.withdraw();
}

void Daemon::stop() {
  // Not posted to the loop: like a signal, it must work while the loop waits on the database.
  if (stopping_) return;
  spdlog::info("stopping; waiting up to {} for {} running run(s)",
               format_duration(current_config()->daemon.shutdown_grace), running());
  begin_shutdown();
}

DaemonPhase Daemon::phase() const {
  if (stopping_) return DaemonPhase::stopping;
  return started_ ? DaemonPhase::running : DaemonPhase::starting;
}

bool Daemon::wait_started(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  started_changed_.wait_for(lock, limit, [this] { return started_ || stopping_; });
  return phase() == DaemonPhase::running;
}

}  // namespace maintd::scheduler
