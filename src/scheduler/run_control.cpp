// Run control (run now, cancel): see run_control.hpp.
#include "scheduler/run_control.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "config/overrides.hpp"
#include "config/redact.hpp"
#include "store/store_error.hpp"

namespace maintd::scheduler {

using store::RunStatus;
using store::Trigger;

RunControl::RunControl(store::RunStore& runs, LocalRuns& local, std::mutex& claims, Launcher launch,
                       std::function<Instant()> now)
    : runs_(runs),
      local_(local),
      claims_(claims),
      launch_(std::move(launch)),
      now_(std::move(now)) {}

Expected<store::RunId, RunNowRefusal> RunControl::run_now(
    const RunNowRequest& request, const std::shared_ptr<const tasks::TaskSet>& tasks,
    const std::shared_ptr<const config::Config>& config) {
  using Reason = RunNowRefusal::Reason;
  const config::Task* found = tasks->find(request.task);
  if (found == nullptr) {
    return Unexpected{RunNowRefusal{
        Reason::unknown_task, fmt::format("there is no task '{}'", request.task), {}, {}}};
  }
  const TaskPtr task(tasks, found);
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
    const std::lock_guard claiming(claims_);
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
    firing.slot = now_();
    firing.trigger = Trigger::manual;
    launch_(Launch{.id = id,
                   .task = task,
                   .firing = std::move(firing),
                   .config = config,
                   .run_config = std::move(effective).value(),
                   .dry_run = run.dry_run,
                   .may_retry = false});
  } catch (const store::StoreError& e) {
    return Unexpected{RunNowRefusal{Reason::unavailable, e.what(), {}, {}}};
  }
  return id;
}

CancelOutcome RunControl::cancel_run(store::RunId id) {
  using Result = CancelOutcome::Result;
  const auto local = local_.stop_source(id);
  if (local && !local->stop_requested()) {
    // Ours: the executor stops the handler and records `cancelled` itself.
    local->request_stop();
    spdlog::info("run {}: cancel requested by the admin API", id);
    return {Result::cancelled, RunStatus::cancelled};
  }
  if (local) {
    // Ours, asked to stop before: the executor may have recorded the end already and not yet
    // left the local runs, so the row is the truth (an earlier version answered "cancelled"
    // again for a run that had ended; issue 17). Still running: the stop is on its way.
    const auto run = runs_.get(id);
    if (run && run->status != RunStatus::pending && run->status != RunStatus::running) {
      return {Result::finished, run->status};
    }
    return {Result::cancelled, RunStatus::cancelled};
  }
  // Another process's (an instance, or `maintd run`), or one waiting for its time.
  return cancel_in_database(runs_, id, "the admin API");
}

CancelOutcome cancel_in_database(store::RunStore& runs, store::RunId id, const std::string& by) {
  using Result = CancelOutcome::Result;
  // A row that moves meanwhile is read again, so the answer is the truth.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto run = runs.get(id);
    if (!run) return {Result::not_found, RunStatus::cancelled};
    if (run->status != RunStatus::pending && run->status != RunStatus::running) {
      return {Result::finished, run->status};
    }
    if (runs.transition(id, run->status, RunStatus::cancelled, "cancelled by an operator")) {
      spdlog::info("task {} run {}: cancelled by {}", run->task_name, id, by);
      return {Result::cancelled, RunStatus::cancelled};
    }
  }
  const auto run = runs.get(id);
  return {Result::finished, run ? run->status : RunStatus::cancelled};
}

}  // namespace maintd::scheduler
