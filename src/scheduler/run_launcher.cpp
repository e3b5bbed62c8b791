// Recorded runs to the worker pool: see run_launcher.hpp.
#include "scheduler/run_launcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace maintd::scheduler {

using store::RunStatus;
using store::Trigger;

std::chrono::seconds retry_delay(const config::Policies& policies, int failed_attempt) {
  // retry_backoff * 2^(n-1) before retry n, capped so a shift never overflows.
  const int doublings = std::min(failed_attempt - 1, 20);
  return policies.retry_backoff * (1LL << doublings);
}

RunLauncher::RunLauncher(store::RunStore& runs, store::RunJournal& journal, LocalRuns& local,
                         Metrics& metrics, Alerts& alerts, Options options)
    : runs_(runs),
      journal_(journal),
      local_(local),
      metrics_(metrics),
      alerts_(alerts),
      options_(std::move(options)),
      workers_(std::max<std::size_t>(1, options_.workers)) {}

RunLauncher::~RunLauncher() {
  join();
}

void RunLauncher::join() {
  workers_.join();
}

void RunLauncher::launch(Launch launch) {
  auto stop = local_.add(launch.id);
  boost::asio::post(workers_, [this, launch = std::move(launch), stop = std::move(stop)] {
    execute(launch, *stop);
  });
}

void RunLauncher::execute(const Launch& launch, const std::stop_source& stop) {
  const auto& task = launch.task;
  const auto& firing = launch.firing;
  const store::RunId id = launch.id;
  RunOutcome outcome;
  bool recorded = false;
  try {
    if (firing.trigger == Trigger::schedule || firing.trigger == Trigger::catchup) {
      // Lateness against the fire time (slot plus the task's jitter): jitter is on purpose.
      const auto fire_time = firing.slot + jitter_offset(task->name, task->policies.jitter);
      metrics_.slot_started(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() - fire_time));
    }
    ExecutorSettings settings;
    settings.heartbeat_interval = launch.config->daemon.heartbeat_interval;
    settings.worker = options_.worker;
    settings.peers = options_.peers();  // table tasks too, not only the files'
    RunExecutor executor(runs_, journal_, *launch.config, settings);
    outcome = executor.execute(
        RunRequest{
            id, task->name, task->type, launch.run_config, launch.dry_run,
            std::chrono::duration_cast<std::chrono::milliseconds>(task->policies.timeout),
            firing.trigger == Trigger::manual ? std::nullopt : std::optional<Instant>(firing.slot),
            launch.started},
        stop.get_token());
    recorded = true;
  } catch (const std::exception& e) {
    // The state database failed while recording: the run stays `running` until its lease
    // expires and some instance marks it abandoned.
    spdlog::error("task {} run {}: could not record the run: {}", task->name, id, e.what());
  }
  bool retry = false;
  if (recorded) {
    retry = launch.may_retry &&
            (outcome.status == RunStatus::failed || outcome.status == RunStatus::timed_out) &&
            firing.attempt <= task->policies.retries;
    // Metrics and alerts are not worth the worker (nor the process): whatever they throw is
    // logged, and the run's bookkeeping below still happens.
    try {
      report_outcome(*task, outcome, retry);
      if (options_.after_run) options_.after_run(*task, outcome);
      if (!retry && options_.after_last_attempt) options_.after_last_attempt(*task, outcome);
    } catch (const std::exception& e) {
      spdlog::error("task {} run {}: reporting its outcome: {}; maintd goes on", task->name, id,
                    e.what());
    }
  }
  // The retry is planned before the run leaves LocalRuns: whoever waits for the daemon to be
  // idle finds it planned.
  if (retry) {
    const Instant at = options_.now() + retry_delay(task->policies, firing.attempt);
    switch (options_.retry(task->name, at, firing.attempt + 1, firing.slot)) {
      case Retry::planned:
        spdlog::info("task {} run {}: {}; retry {} of {} at {}", task->name, id,
                     to_string(outcome.status), firing.attempt, task->policies.retries,
                     format_utc(at));
        break;
      case Retry::task_gone:
        spdlog::warn("task {} run {}: {}; no retry: the task was removed or disabled while it ran",
                     task->name, id, to_string(outcome.status));
        break;
      case Retry::stopping:
        break;
    }
  }
  local_.remove(id);
}

void RunLauncher::report_outcome(const config::Task& task, const RunOutcome& outcome,
                                 bool will_retry) {
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

}  // namespace maintd::scheduler
