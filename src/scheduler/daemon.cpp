#include "scheduler/daemon.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>
#include <set>

#include "common/duration.hpp"
#include "config/loader.hpp"
#include "config/overrides.hpp"
#include "config/redact.hpp"
#include "scheduler/loop_guard.hpp"
#include "scheduler/worker_identity.hpp"
#include "store/instance_store.hpp"
#include "store/slot_history.hpp"
#include "store/store_error.hpp"
#include "store/task_store.hpp"

namespace maintd::scheduler {
namespace {

using store::RunStatus;
using store::Trigger;

// Slots held back while the state database was unavailable are missed slots like any other
// (DESIGN.md: within the catch-up window they run once, coalesced): per task, one catch-up run
// for the latest, its reason naming the range. Run back to back instead, they would, under
// concurrency: forbid, skip each other. Skips and retries are kept as they are.
std::vector<Firing> coalesce_held(std::vector<Firing> held) {
  std::vector<Firing> out;
  std::map<std::string, std::vector<Firing>> slots_by_task;
  for (auto& firing : held) {
    if (firing.skipped || firing.trigger == Trigger::retry) {
      out.push_back(std::move(firing));
    } else {
      slots_by_task[firing.task].push_back(std::move(firing));
    }
  }
  for (auto& [task, slots] : slots_by_task) {
    std::sort(slots.begin(), slots.end(),
              [](const Firing& a, const Firing& b) { return a.slot < b.slot; });
    Firing latest = slots.back();
    if (slots.size() > 1) {
      // Firings held back more than once were folded before: keep their whole range.
      int folded = 0;
      Instant from = slots.front().folded_from.value_or(slots.front().slot);
      for (const auto& slot : slots) {
        folded += slot.folded;
        from = std::min(from, slot.folded_from.value_or(slot.slot));
      }
      latest.trigger = Trigger::catchup;
      latest.folded = folded;
      latest.folded_from = from;
      latest.reason = fmt::format(
          "{} missed slots from {} to {} coalesced into one run (held back while the state "
          "database was unavailable)",
          folded, format_utc(from), format_utc(latest.slot));
    }
    out.push_back(std::move(latest));
  }
  return out;
}
using namespace std::chrono_literals;

// Loads the task set, logging its diagnostics (invalid table rows are reported and never run;
// the daemon goes on with the rest). The table is re-read every poll_interval: a problem is
// logged when it appears, not again at every poll while it lasts. `*version` is set to the
// table's version as of the read (store::task_table_version).
std::function<store::TaskSet(store::Database&, const config::Config&)> logging_loader(
    std::string* version) {
  auto reported = std::make_shared<std::set<std::string>>();
  return [reported, version](store::Database& database, const config::Config& config) {
    auto set = store::load_tasks(database, config);
    *version = set.table_version;
    std::set<std::string> current;
    for (const auto& diagnostic : set.diagnostics.errors()) current.insert(diagnostic.to_string());
    for (const auto& diagnostic : set.diagnostics.warnings()) {
      current.insert(diagnostic.to_string());
    }
    for (const auto& diagnostic : set.diagnostics.errors()) {
      if (!reported->count(diagnostic.to_string())) spdlog::error("{}", diagnostic.to_string());
    }
    for (const auto& diagnostic : set.diagnostics.warnings()) {
      if (!reported->count(diagnostic.to_string())) spdlog::warn("{}", diagnostic.to_string());
    }
    *reported = std::move(current);
    return set;
  };
}

std::chrono::seconds retry_delay(const config::Policies& policies, int failed_attempt) {
  // retry_backoff * 2^(n-1) before retry n, capped so a shift never overflows.
  const int doublings = std::min(failed_attempt - 1, 20);
  return policies.retry_backoff * (1LL << doublings);
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
      workers_(static_cast<std::size_t>(std::max(1, config_->daemon.workers))),
      wake_timer_(io_),
      poll_timer_(io_),
      lease_timer_(io_),
      watchdog_timer_(io_),
      overdue_timer_(io_),
      signals_(signal_io_) {
  if (!options_.load_tasks) options_.load_tasks = logging_loader(&table_version_);
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
  workers_.join();
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
  {
    const std::lock_guard lock(write_mutex_);
    input.last_write_failed = !write_problem_.empty();
    input.write_problem = write_problem_;
  }
  return assess_readiness(input);
}

Daemon::TaskPtr Daemon::find_task(const std::string& name) const {
  const config::Task* task = tasks_->find(name);
  return task != nullptr ? TaskPtr(tasks_, task) : nullptr;
}

void Daemon::set_tasks(store::TaskSet tasks, std::shared_ptr<const config::Config> config,
                       Instant now, const std::map<std::string, Instant>& last_slots) {
  tasks.keep_alive(std::move(config));
  auto shared = std::make_shared<const store::TaskSet>(std::move(tasks));
  {
    std::lock_guard lock(mutex_);
    tasks_ = std::move(shared);
    planner_.set_shared_tasks(tasks_, now, last_slots);
    for (const auto& task : *tasks_) {
      if (task.policies.expect_success_within) first_seen_.try_emplace(task.name, now);
    }
  }
  // Loading a large task set leaves tens of megabytes freed (YAML trees, rows read, the previous
  // set) that glibc keeps mapped; hand them back (100,000 tasks: about 35 MB).
  malloc_trim(0);
}

void Daemon::start(Instant now) {
  // Runs whose lease expired while no daemon watched them (this one was killed, say) end first:
  // a forbid task's catch-up would otherwise be skipped for a run that is already dead.
  mark_abandoned();
  auto tasks = options_.load_tasks(*database_, *config_);
  set_tasks(std::move(tasks), config_, now, store::last_scheduled_slots(*database_));
}

void Daemon::tick(Instant now) {
  // A manual run (run_now) must not slip in between the policy's read and the claim.
  const std::lock_guard claiming(claim_mutex_);
  std::vector<Firing> firings;
  std::shared_ptr<const config::Config> config;
  {
    std::lock_guard lock(mutex_);
    firings = coalesce_held(std::move(unclaimed_));
    unclaimed_.clear();
    for (auto& firing : planner_.due(now)) firings.push_back(std::move(firing));
    config = config_;
  }
  // The runs in progress, read once for all the firings of this tick (when a policy needs
  // them), then kept up to date with the runs the tick claims.
  std::optional<ActiveRuns> active;
  std::vector<Claim> batch;
  std::set<std::string_view> batched;  // tasks with a firing in `batch`
  const auto claim = [&] {
    claim_batch(batch, active ? &*active : nullptr, config, now);
    batched.clear();
  };
  for (auto& firing : firings) {
    TaskPtr task;
    {
      std::lock_guard lock(mutex_);
      task = find_task(firing.task);
    }
    if (task == nullptr || !task->enabled) {
      // Held back (an unavailable state database) or planned (a retry) before a reload or the
      // table removed or disabled the task: nothing of it is to run any more.
      spdlog::warn("task {}: {} for the slot {} dropped: the task is {} since", firing.task,
                   firing.skipped ? "skip" : to_string(firing.trigger), format_utc(firing.slot),
                   task == nullptr ? "no longer configured" : "disabled");
      continue;
    }
    // A second firing of a task in one tick (a retry and a slot): the first is claimed and
    // started before the policy decides about the second, as if they had come one by one.
    if (batched.count(task->name) != 0) claim();

    store::NewRun run;
    run.task_name = task->name;
    run.task_type = task->type;
    run.trigger = firing.trigger;
    run.scheduled_for = firing.slot;
    run.attempt = firing.attempt;
    run.dry_run = task->dry_run;
    bool skip = firing.skipped;
    std::string skip_reason = firing.skipped ? firing.reason : "";
    if (!skip && task->policies.concurrency != config::Concurrency::allow) {
      try {
        if (!active) {
          ActiveRuns read;
          for (auto& record : runs_.active_runs()) {
            read[record.task_name].push_back(std::move(record));
          }
          active = std::move(read);
        }
        if (const auto it = active->find(task->name); it != active->end()) {
          skip_reason = apply_concurrency(*task, firing, it->second);
          skip = !skip_reason.empty();
        }
      } catch (const store::StoreError& e) {
        keep_unclaimed(firing, *task, now, e);
        continue;
      }
    }
    if (skip) {
      run.status = RunStatus::skipped;
      run.error = skip_reason;
    } else {
      run.config = config::redact(task->config);
    }
    batched.insert(task->name);
    batch.push_back(Claim{std::move(firing), std::move(task), std::move(run)});
    if (batch.size() >= kClaimBatch) claim();
  }
  claim();
}

void Daemon::keep_unclaimed(const Firing& firing, const config::Task& task, Instant now,
                            const store::StoreError& error) {
  // Keep the slot while it is worth running; the loop tries again shortly.
  const auto window = std::max(task.policies.catchup, std::chrono::seconds(kMisfireGrace));
  if (now - firing.slot <= window) {
    spdlog::error("task {}: slot {} not claimed yet: {}; trying again", firing.task,
                  format_utc(firing.slot), error.what());
    std::lock_guard lock(mutex_);
    unclaimed_.push_back(firing);
  } else {
    spdlog::error(
        "task {}: slot {} lost: the state database was unavailable beyond the "
        "catch-up window: {}",
        firing.task, format_utc(firing.slot), error.what());
  }
}

void Daemon::claim_batch(std::vector<Claim>& batch, ActiveRuns* active,
                         const std::shared_ptr<const config::Config>& config, Instant now) {
  if (batch.empty()) return;
  std::vector<store::NewRun> runs;
  runs.reserve(batch.size());
  for (auto& claim : batch) runs.push_back(std::move(claim.run));
  std::vector<std::optional<store::RunId>> ids;
  try {
    ids = runs_.claim_slots(runs);
  } catch (const store::StoreError& e) {
    for (const auto& claim : batch) keep_unclaimed(claim.firing, *claim.task, now, e);
    batch.clear();
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Firing& firing = batch[i].firing;
    const TaskPtr& task = batch[i].task;
    const auto& id = ids[i];
    if (runs[i].status == RunStatus::skipped) {
      if (id) {
        spdlog::warn("task {} run {}: slot {} skipped: {}", task->name, *id,
                     format_utc(firing.slot), runs[i].error);
        metrics_.slot_skipped(task->name);
      }
      continue;
    }
    if (!id) {
      spdlog::debug("task {}: slot {} was claimed by another instance", task->name,
                    format_utc(firing.slot));
      continue;
    }
    spdlog::debug("task {} run {}: claimed slot {} ({}), {}s late", task->name, *id,
                  format_utc(firing.slot), to_string(firing.trigger), (now - firing.slot).count());
    if (!firing.reason.empty()) {
      // Queued: written with the run's start (a lost line is logged; the run runs anyway).
      journal_.add_event(*id, firing.task, "info", std::string(to_string(firing.trigger)),
                         firing.reason);
    }
    if (active != nullptr) {
      store::RunRecord record;
      record.id = *id;
      record.task_name = task->name;
      record.status = RunStatus::pending;
      (*active)[task->name].push_back(std::move(record));
    }
    const bool dry_run = task->dry_run;
    execute(*id, task, firing, config, task->config, dry_run, true);
  }
  batch.clear();
}

std::string Daemon::apply_concurrency(const config::Task& task, const Firing& firing,
                                      const std::vector<store::RunRecord>& active) {
  if (task.policies.concurrency == config::Concurrency::allow || active.empty()) return {};
  if (task.policies.concurrency == config::Concurrency::forbid) {
    const auto& previous = active.front();
    return fmt::format("previous run {} still {}", previous.id, to_string(previous.status));
  }
  // replace: the previous runs are cancelled; ours stop at once, other instances' at their
  // next heartbeat (the executor sees its row cancelled).
  for (const auto& previous : active) {
    std::shared_ptr<std::stop_source> local;
    {
      std::lock_guard lock(mutex_);
      if (auto it = active_.find(previous.id); it != active_.end()) local = it->second.stop;
    }
    if (local) {
      local->request_stop();
    } else {
      runs_.transition(previous.id, previous.status, RunStatus::cancelled,
                       "replaced by a newer run (concurrency: replace)");
    }
    spdlog::info("task {} run {}: cancelled: replaced by the slot {}", task.name, previous.id,
                 format_utc(firing.slot));
  }
  return {};
}

void Daemon::execute(store::RunId id, TaskPtr task, const Firing& firing,
                     std::shared_ptr<const config::Config> config, nlohmann::json run_config,
                     bool dry_run, bool may_retry) {
  auto stop = std::make_shared<std::stop_source>();
  {
    std::lock_guard lock(mutex_);
    active_[id] = Active{task->name, stop};
  }
  boost::asio::post(workers_, [this, id, task = std::move(task), firing, config, stop,
                               run_config = std::move(run_config), dry_run, may_retry] {
    RunOutcome outcome;
    bool recorded = false;
    bool retry = false;
    try {
      if (firing.trigger == Trigger::schedule || firing.trigger == Trigger::catchup) {
        // Lateness against the fire time (slot plus the task's jitter): jitter is on purpose.
        const auto fire_time = firing.slot + jitter_offset(task->name, task->policies.jitter);
        metrics_.slot_started(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now() - fire_time));
      }
      ExecutorSettings settings;
      settings.heartbeat_interval = config->daemon.heartbeat_interval;
      settings.worker = worker_;
      settings.peers = current_tasks();  // table tasks too, not only the files'
      RunExecutor executor(runs_, journal_, *config, settings);
      outcome = executor.execute(
          RunRequest{id, task->name, task->type, run_config, dry_run,
                     std::chrono::duration_cast<std::chrono::milliseconds>(task->policies.timeout)},
          stop->get_token());
      recorded = true;
    } catch (const std::exception& e) {
      // The state database failed while recording: the run stays `running` until its lease
      // expires and some instance marks it abandoned.
      spdlog::error("task {} run {}: could not record the run: {}", task->name, id, e.what());
    }
    if (recorded) {
      retry = may_retry &&
              (outcome.status == RunStatus::failed || outcome.status == RunStatus::timed_out) &&
              firing.attempt <= task->policies.retries;
      // Metrics and alerts are not worth the worker (nor the process): whatever they throw is
      // logged, and the run's bookkeeping below still happens.
      try {
        report_outcome(*task, outcome, retry);
      } catch (const std::exception& e) {
        spdlog::error("task {} run {}: reporting its outcome: {}; maintd goes on", task->name, id,
                      e.what());
      }
    }
    std::lock_guard lock(mutex_);
    active_.erase(id);
    if (retry && !stopping_) {
      const Instant at = options_.now() + retry_delay(task->policies, firing.attempt);
      if (planner_.add_retry(task->name, at, firing.attempt + 1, firing.slot)) {
        spdlog::info("task {} run {}: {}; retry {} of {} at {}", task->name, id,
                     to_string(outcome.status), firing.attempt, task->policies.retries,
                     format_utc(at));
        boost::asio::post(io_,
                          [this] { guard_step("planning a retry", [this] { arm_wake_timer(); }); });
      } else {
        spdlog::warn("task {} run {}: {}; no retry: the task was removed or disabled while it ran",
                     task->name, id, to_string(outcome.status));
      }
    }
    idle_.notify_all();
  });
}

void Daemon::report_outcome(const config::Task& task, const RunOutcome& outcome, bool will_retry) {
  metrics_.run_finished(task.name, outcome.status, outcome.duration);
  // A failure that a retry may still make good is not worth waking anyone: the last attempt's
  // outcome is.
  if (will_retry) return;
  if (outcome.status != RunStatus::failed && outcome.status != RunStatus::timed_out) return;
  alerts_.raise(Alert{
      .kind = outcome.status == RunStatus::failed ? Alert::Kind::failed : Alert::Kind::timed_out,
      .task = task.name,
      .run = outcome.id,
      .message = outcome.error,
      .at = options_.now()});
}

Expected<store::RunId, RunNowRefusal> Daemon::run_now(const RunNowRequest& request) {
  using Reason = RunNowRefusal::Reason;
  if (stopping_)
    return Unexpected{RunNowRefusal{Reason::unavailable, "maintd is stopping", {}, {}}};
  std::shared_ptr<const config::Config> config;
  TaskPtr task;
  {
    std::lock_guard lock(mutex_);
    config = config_;
    task = find_task(request.task);
  }
  if (task == nullptr) {
    return Unexpected{RunNowRefusal{
        Reason::unknown_task, fmt::format("there is no task '{}'", request.task), {}, {}}};
  }
  const auto type = config->registry->resolve(task->type);
  if (!type) {
    return Unexpected{RunNowRefusal{Reason::invalid_config, type.error(), {type.error()}, {}}};
  }
  std::set<std::string> databases;
  for (const auto& [name, url] : config->databases) databases.insert(name);
  auto effective = config::apply_overrides(task->config, request.overrides,
                                           type.value().handler->schema, databases, "config");
  if (!effective) {
    return Unexpected{
        RunNowRefusal{Reason::invalid_config,
                      fmt::format("task '{}': the config does not fit {}", task->name, task->type),
                      std::move(effective.error()),
                      {}}};
  }
  store::RunId id = 0;
  try {
    const std::lock_guard claiming(claim_mutex_);
    if (task->policies.concurrency == config::Concurrency::forbid) {
      const auto active = runs_.active_runs(task->name);
      if (!active.empty()) {
        const auto& previous = active.front();
        return Unexpected{
            RunNowRefusal{Reason::busy,
                          fmt::format("previous run {} still {} (concurrency: forbid)", previous.id,
                                      to_string(previous.status)),
                          {},
                          previous.id}};
      }
    }
    store::NewRun run;
    run.task_name = task->name;
    run.task_type = task->type;
    run.trigger = Trigger::manual;
    run.dry_run = request.dry_run || task->dry_run;
    run.config = config::redact(effective.value());
    id = runs_.create_run(run);
    spdlog::info("task {} run {}: started by the admin API{}", task->name, id,
                 run.dry_run ? " (dry run)" : "");
    Firing firing;
    firing.task = task->name;
    firing.slot = options_.now();
    firing.trigger = Trigger::manual;
    execute(id, task, firing, config, std::move(effective).value(), run.dry_run, false);
  } catch (const store::StoreError& e) {
    return Unexpected{RunNowRefusal{Reason::unavailable, e.what(), {}, {}}};
  }
  return id;
}

CancelOutcome Daemon::cancel_run(store::RunId id) {
  using Result = CancelOutcome::Result;
  std::shared_ptr<std::stop_source> local;
  {
    std::lock_guard lock(mutex_);
    if (auto it = active_.find(id); it != active_.end()) local = it->second.stop;
  }
  if (local && !local->stop_requested()) {
    // Ours: the executor stops the handler and records `cancelled` itself.
    local->request_stop();
    spdlog::info("run {}: cancel requested by the admin API", id);
    return {Result::cancelled, RunStatus::cancelled};
  }
  if (local) {
    // Ours, asked to stop before: the executor may have recorded the end already and not yet
    // left active_, so the row is the truth (an earlier version answered "cancelled" again for
    // a run that had ended; issue 17). Still running: the stop is on its way.
    const auto run = runs_.get(id);
    if (run && run->status != RunStatus::pending && run->status != RunStatus::running) {
      return {Result::finished, run->status};
    }
    return {Result::cancelled, RunStatus::cancelled};
  }
  // Another process's (an instance, or `maintd run`): its executor sees the row cancelled at
  // its next heartbeat. A row that moves meanwhile is read again, so the answer is the truth.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto run = runs_.get(id);
    if (!run) return {Result::not_found, RunStatus::cancelled};
    if (run->status != RunStatus::pending && run->status != RunStatus::running) {
      return {Result::finished, run->status};
    }
    if (runs_.transition(id, run->status, RunStatus::cancelled, "cancelled by an operator")) {
      spdlog::info("task {} run {}: cancelled by the admin API", run->task_name, id);
      return {Result::cancelled, RunStatus::cancelled};
    }
  }
  const auto run = runs_.get(id);
  return {Result::finished, run ? run->status : RunStatus::cancelled};
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

std::shared_ptr<const store::TaskSet> Daemon::current_tasks() const {
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
  return scrape;
}

std::vector<OverdueTask> Daemon::overdue() const {
  std::lock_guard lock(mutex_);
  std::vector<OverdueTask> out;
  out.reserve(overdue_.size());
  for (const auto& [name, task] : overdue_) out.push_back(task);
  return out;
}

void Daemon::check_overdue(Instant now) {
  const auto tasks = current_tasks();
  const bool watched = std::any_of(tasks->begin(), tasks->end(), [](const config::Task& task) {
    return task.enabled && task.policies.expect_success_within.has_value();
  });
  std::map<std::string, store::Timestamp> last_success;
  if (watched) {
    try {
      last_success = runs_.last_successes();
    } catch (const store::StoreError& e) {
      // Unknown is not overdue: keep what we had and look again at the next check.
      spdlog::error("checking expect_success_within: {}", e.what());
      return;
    }
  }
  std::map<std::string, OverdueTask> current;
  std::lock_guard lock(mutex_);
  for (const auto& task : *tasks) {
    if (!task.enabled || !task.policies.expect_success_within) continue;
    OverdueTask state;
    state.task = task.name;
    state.expected = *task.policies.expect_success_within;
    if (const auto it = last_success.find(task.name); it != last_success.end()) {
      state.last_success = it->second;
      state.since = std::chrono::floor<std::chrono::seconds>(it->second);
    } else {
      const auto seen = first_seen_.find(task.name);
      state.since = seen != first_seen_.end() ? seen->second : now;
    }
    if (now - state.since <= state.expected) continue;
    if (overdue_.count(task.name) == 0) {
      const std::string message =
          state.last_success
              ? fmt::format("no completed run for {} (expect_success_within {}); last success {}",
                            format_duration(now - state.since), format_duration(state.expected),
                            format_utc(state.since))
              : fmt::format(
                    "no completed run since maintd began watching it {} ago "
                    "(expect_success_within {})",
                    format_duration(now - state.since), format_duration(state.expected));
      spdlog::error("task {}: overdue: {}", task.name, message);
      alerts_.raise(Alert{.kind = Alert::Kind::overdue,
                          .task = task.name,
                          .run = std::nullopt,
                          .message = message,
                          .at = now});
    }
    current.emplace(task.name, std::move(state));
  }
  for (const auto& [name, state] : overdue_) {
    if (current.count(name) == 0) spdlog::info("task {}: no longer overdue", name);
  }
  overdue_ = std::move(current);
}

bool Daemon::reload(Instant now) {
  config::LoadOptions options;
  options.config_path = options_.config_path;
  options.handlers = options_.handlers;
  options.env = options_.env;
  auto result = config::load_config(options);
  if (!result.config) {
    for (const auto& error : result.diagnostics.errors()) spdlog::error("{}", error.to_string());
    spdlog::error("reload: {} error(s) in the configuration; the previous tasks keep running",
                  result.diagnostics.error_count());
    return false;
  }
  for (const auto& warning : result.diagnostics.warnings()) spdlog::warn("{}", warning.to_string());
  auto config = std::make_shared<const config::Config>(std::move(*result.config));
  store::TaskSet tasks;
  try {
    tasks = options_.load_tasks(*database_, *config);
  } catch (const std::exception& e) {
    // A StoreError (the state database), or anything a row nobody foresaw made the loader throw.
    spdlog::error("reload: {}; the previous tasks keep running", e.what());
    return false;
  }
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mutex_);
    config_ = config;  // running runs keep the config they started with
    for (const auto& task : *tasks_) {
      if (tasks.find(task.name) == nullptr) gone.push_back(task.name);
    }
  }
  if (!gone.empty()) {
    // A schedule file emptied by mistake (a bad deploy, a truncated write) drops every task in
    // it: said loudly, with the names, not as an info line with a smaller count.
    constexpr std::size_t kNamed = 20;
    std::string names;
    for (std::size_t i = 0; i < std::min(gone.size(), kNamed); ++i) {
      names += (i == 0 ? "" : ", ") + gone[i];
    }
    if (gone.size() > kNamed) names += fmt::format(" and {} more", gone.size() - kNamed);
    spdlog::warn("reload: {} task{} gone from the configuration and no longer scheduled: {}",
                 gone.size(), gone.size() == 1 ? " is" : "s are", names);
  }
  alerts_.configure(config->notify);
  set_tasks(std::move(tasks), config, now, {});
  spdlog::info("reloaded: {}", status_line());
  return true;
}

void Daemon::refresh_table_tasks(Instant now) {
  std::shared_ptr<const config::Config> config;
  {
    std::lock_guard lock(mutex_);
    config = config_;
  }
  try {
    // Nothing changed since the last read: keep the tasks and their plan. Reading and planning
    // every task again is what a poll would otherwise cost (seconds of CPU for 100,000 tasks).
    if (!table_version_.empty() && store::task_table_version(*database_) == table_version_) return;
  } catch (const store::StoreError& e) {
    spdlog::debug("reading the version of scheduled_tasks: {}; reading the table", e.what());
  }
  try {
    table_version_.clear();  // unknown until a load succeeds
    set_tasks(options_.load_tasks(*database_, *config), config, now, {});
  } catch (const std::exception& e) {
    spdlog::error("re-reading scheduled_tasks: {}; the previous tasks keep running", e.what());
  }
}

void Daemon::mark_abandoned() {
  // Our own claimed runs still waiting for a worker keep their lease (running ones are renewed
  // by their executor). A lease is renewed when, by the next call, it would be older than half
  // the lease: a burst of runs claimed just now (10,000 due in the same second) does not cost
  // as many single-row commits on the loop while the workers are recording those very runs.
  const auto now = std::chrono::steady_clock::now();
  const auto interval = config_->daemon.heartbeat_interval;
  const auto half_lease = config_->daemon.lease / 2;
  std::vector<store::RunId> ours;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, active] : active_) {
      if (now - active.renewed + interval >= half_lease) ours.push_back(id);
    }
  }
  try {
    for (const auto id : ours) {
      runs_.heartbeat(id);
      std::lock_guard lock(mutex_);
      if (auto it = active_.find(id); it != active_.end()) it->second.renewed = now;
    }
  } catch (const store::StoreError& e) {
    spdlog::error("renewing the leases of waiting runs: {}", e.what());
  }
  try {
    for (const auto id : runs_.abandon_expired(config_->daemon.lease)) {
      const auto run = runs_.get(id);
      const std::string task = run ? run->task_name : std::string("?");
      const std::string message =
          fmt::format("no heartbeat for more than {}", format_duration(config_->daemon.lease));
      spdlog::warn("task {} run {}: abandoned: {}", task, id, message);
      metrics_.run_abandoned(task);
      alerts_.raise(Alert{.kind = Alert::Kind::abandoned,
                          .task = task,
                          .run = id,
                          .message = message,
                          .at = options_.now()});
    }
  } catch (const store::StoreError& e) {
    spdlog::error("looking for abandoned runs: {}", e.what());
  }
}

bool Daemon::wait_idle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return active_.empty(); });
}

void Daemon::cancel_running() {
  std::lock_guard lock(mutex_);
  for (auto& [id, active] : active_) active.stop->request_stop();
}

std::size_t Daemon::running() const {
  std::lock_guard lock(mutex_);
  return active_.size();
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
  return fmt::format("{} task{}, {} running, {}", tasks_->size(), tasks_->size() == 1 ? "" : "s",
                     active_.size(), next);
}

void Daemon::arm_wake_timer() {
  if (stopping_) return;
  const Instant now = options_.now();
  std::chrono::seconds sleep = kMaxSleep;
  {
    std::lock_guard lock(mutex_);
    if (auto wake = planner_.next_wake()) sleep = std::clamp(*wake - now, 0s, kMaxSleep);
    if (!unclaimed_.empty()) sleep = std::min(sleep, std::chrono::seconds(kRetryUnclaimed));
  }
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

void Daemon::arm_periodic(boost::asio::steady_timer& timer, std::chrono::milliseconds every,
                          std::string what, std::function<void()> work) {
  timer.expires_after(every);
  timer.async_wait([this, &timer, every, what, work](const boost::system::error_code& error) {
    if (error || stopping_) return;
    beat();
    guard_step(what, work);
    beat();
    arm_periodic(timer, every, what, work);
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
  arm_periodic(poll_timer_, config_->daemon.poll_interval, "re-reading scheduled_tasks",
               [this] { refresh_table_tasks(options_.now()); });
  store::InstanceStore instances(database_);
  const auto announce = [&](bool first) {
    try {
      first ? instances.announce(worker_, status_line()) : instances.renew(worker_, status_line());
      const std::lock_guard lock(write_mutex_);
      write_problem_.clear();
    } catch (const store::StoreError& e) {
      spdlog::error("announcing this instance in the state database: {}", e.what());
      const std::lock_guard lock(write_mutex_);
      write_problem_ = e.what();
    }
  };
  arm_periodic(lease_timer_, config_->daemon.heartbeat_interval,
               "renewing leases and marking abandoned runs", [this, announce] {
                 mark_abandoned();
                 announce(false);
               });
  if (const auto interval = notifier_.watchdog_interval()) {
    // Pinged from the loop itself: a stuck loop stops pinging and systemd restarts us.
    arm_periodic(watchdog_timer_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2),
                 "pinging the systemd watchdog", [this] { notifier_.watchdog(); });
  }
  arm_periodic(overdue_timer_, kOverdueCheck, "checking expect_success_within",
               [this] { check_overdue(options_.now()); });
  check_overdue(now);
  announce(true);
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

  // Shutdown: running handlers get what is left of the grace period (counted from the signal),
  // then are cancelled (recorded cancelled).
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
  try {
    instances.withdraw(worker_.instance_id);
  } catch (const store::StoreError& e) {
    spdlog::warn("withdrawing this instance from the state database: {}", e.what());
  }
  spdlog::info("maintd stopped");
  return 0;
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
