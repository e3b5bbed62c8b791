// One-off runs: see one_off_runs.hpp.
#include "scheduler/one_off_runs.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/duration.hpp"
#include "store/store_error.hpp"

namespace maintd::scheduler {
namespace {

using store::RunStatus;

store::Timestamp stamp(Instant at) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(at);
}

}  // namespace

OneOffRuns::OneOffRuns(store::RunStore& runs, store::PauseStore& pauses, std::mutex& claims,
                       Launcher launch, Policy policy, store::Worker worker)
    : runs_(runs),
      pauses_(pauses),
      claims_(claims),
      launch_(std::move(launch)),
      policy_(std::move(policy)),
      worker_(std::move(worker)) {}

void OneOffRuns::refresh() {
  try {
    auto waiting = runs_.pending_one_offs();
    std::lock_guard lock(mutex_);
    waiting_ = std::move(waiting);
  } catch (const store::StoreError& e) {
    spdlog::warn("reading the one-off runs waiting: {}", e.what());
  }
}

std::optional<Instant> OneOffRuns::next_due() const {
  std::lock_guard lock(mutex_);
  std::optional<Instant> earliest;
  for (const auto& run : waiting_) {
    if (run.due_at && (!earliest || *run.due_at < *earliest)) earliest = run.due_at;
  }
  return earliest;
}

std::vector<store::RunRecord> OneOffRuns::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void OneOffRuns::start_due(const std::shared_ptr<const tasks::TaskSet>& tasks,
                           const std::shared_ptr<const config::Config>& config, Instant now) {
  const auto due_in = [now](const std::vector<store::RunRecord>& runs) {
    std::vector<store::RunRecord> due;
    for (const auto& run : runs) {
      if (run.due_at && *run.due_at <= now) due.push_back(run);
    }
    return due;
  };
  if (due_in(waiting()).empty()) return;
  try {
    // Read again: another daemon may have started or cancelled some since the last read.
    auto fresh = runs_.pending_one_offs();
    {
      std::lock_guard lock(mutex_);
      waiting_ = fresh;
    }
    const auto due = due_in(fresh);
    if (due.empty()) return;
    Instant earliest = now;
    for (const auto& run : due) earliest = std::min(earliest, *run.due_at);
    // The pause is checked here, at the start, not only at the last refresh.
    const auto pauses = pauses_.since(stamp(earliest));
    for (const auto& pause : pauses) {
      if (pause.covers(stamp(now))) return;  // they wait for the pause to end
    }
    for (const auto& run : due) settle(run, tasks, config, now, pauses);
  } catch (const store::StoreError& e) {
    // Nothing started that was not recorded: the runs stay pending and are tried again at the
    // next wake.
    spdlog::error("starting the one-off runs due: {}; trying again", e.what());
    return;
  }
  refresh();
}

void OneOffRuns::settle(const store::RunRecord& run,
                        const std::shared_ptr<const tasks::TaskSet>& tasks,
                        const std::shared_ptr<const config::Config>& config, Instant now,
                        const std::vector<store::PauseRecord>& pauses) {
  const config::Task* found = tasks->find(run.task_name);
  if (found == nullptr) {
    if (runs_.transition(run.id, RunStatus::pending, RunStatus::cancelled,
                         fmt::format("task '{}' is no longer configured", run.task_name))) {
      spdlog::warn("task {} run {}: one-off run cancelled: the task is no longer configured",
                   run.task_name, run.id);
    }
    return;
  }
  const TaskPtr task(tasks, found);
  // Its lateness counts from its time, or from the end of the pause it waited out.
  Instant since = *run.due_at;
  for (const auto& pause : pauses) {
    if (const auto end = pause.end(); end && pause.covers(stamp(*run.due_at))) {
      since = std::max(since, std::chrono::ceil<std::chrono::seconds>(*end));
    }
  }
  const auto window = std::max(task->policies.catchup, std::chrono::seconds(kMisfireGrace));
  if (now - since > window) {
    const std::string why = fmt::format(
        "one-off run due at {} not started: {} late, beyond the catch-up window ({}); no daemon "
        "was up to start it in time",
        format_utc(*run.due_at), format_duration(now - since), format_duration(window));
    if (runs_.transition(run.id, RunStatus::pending, RunStatus::skipped, why)) {
      spdlog::warn("task {} run {}: {}", run.task_name, run.id, why);
    }
    return;
  }
  Firing firing;
  firing.task = task->name;
  firing.slot = *run.due_at;
  firing.trigger = store::Trigger::once;
  const std::lock_guard claiming(claims_);  // a policy's read and the start, as for slots
  if (task->policies.concurrency != config::Concurrency::allow) {
    const auto active = runs_.active_runs(task->name);
    if (auto why = policy_(*task, firing, active); !why.empty()) {
      why = "one-off run not started: " + why;
      if (runs_.transition(run.id, RunStatus::pending, RunStatus::skipped, why)) {
        spdlog::warn("task {} run {}: {}", run.task_name, run.id, why);
      }
      return;
    }
  }
  // The one conditional UPDATE that makes it exactly once.
  if (!runs_.start(run.id, worker_)) {
    spdlog::debug("task {} run {}: one-off run started or cancelled elsewhere", run.task_name,
                  run.id);
    return;
  }
  spdlog::info("task {} run {}: one-off run started (due at {}){}", run.task_name, run.id,
               format_utc(*run.due_at), run.dry_run ? " (dry run)" : "");
  launch_(Launch{.id = run.id,
                 .task = task,
                 .firing = std::move(firing),
                 .config = config,
                 .run_config = task->config,
                 .dry_run = run.dry_run || task->dry_run,
                 .may_retry = false,
                 .started = true});
}

}  // namespace maintd::scheduler
