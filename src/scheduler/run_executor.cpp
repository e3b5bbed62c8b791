#include "scheduler/run_executor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/duration.hpp"
#include "store/store_error.hpp"
#include "store/target_session.hpp"

namespace maintd::scheduler {
namespace {

using store::RunStatus;
using Steady = std::chrono::steady_clock;

// Why the handler's stop token was triggered; the first reason wins.
enum class StopReason : int { none, timeout, cancelled };

spdlog::level::level_enum spdlog_level(registry::EventLevel level) {
  switch (level) {
    case registry::EventLevel::debug:
      return spdlog::level::debug;
    case registry::EventLevel::info:
      return spdlog::level::info;
    case registry::EventLevel::warning:
      return spdlog::level::warn;
    case registry::EventLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// A configured timeout, exactly as it was set: "30s", "1h30m"; "100ms" for one that is not whole
// seconds (tests). How long a run took is format_run_duration's.
std::string describe_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 != 0) return fmt::format("{}ms", timeout.count());
  return format_duration(std::chrono::duration_cast<std::chrono::seconds>(timeout));
}

// The connections a run's handler opened (target databases, the state database). Once the run
// is stopped (its timeout, a cancellation, shutdown), a handler gets kStatementCutDelay to
// return by itself; a statement still waiting then (a server that stopped answering keeps it
// waiting for ever, and a stop token is only looked at between statements) has its connection
// closed, so the statement fails and the handler returns. maintd imposes no statement timeout
// of its own on handlers: the task's timeout is theirs.
class HandlerConnections {
 public:
  static constexpr std::chrono::seconds kStatementCutDelay{5};

  void add(store::ConnectionWatchdog::Watch watch) {
    if (!watch) return;
    const std::lock_guard lock(mutex_);
    if (cut_at_) watch.cut_by(*cut_at_);
    watches_.push_back(std::move(watch));
  }
  void cut_soon() {
    const std::lock_guard lock(mutex_);
    if (cut_at_) return;
    cut_at_ = Steady::now() + kStatementCutDelay;
    for (auto& watch : watches_) watch.cut_by(*cut_at_);
  }

 private:
  std::mutex mutex_;
  std::vector<store::ConnectionWatchdog::Watch> watches_;
  std::optional<Steady::time_point> cut_at_;
};

// The monitor: heartbeats and the timeout, on a thread of its own, woken early when the
// handler returns. Its destructor stops and joins it, so it never outlives the run.
class Monitor {
 public:
  Monitor(store::RunStore& runs, store::RunId id, Steady::time_point deadline,
          std::chrono::milliseconds heartbeat_interval, std::stop_source& stop,
          std::atomic<StopReason>& reason, const registry::HandlerContext& context)
      : thread_([&, id, deadline, heartbeat_interval](std::stop_token done) {
          std::mutex mutex;
          std::condition_variable_any wake;
          auto next_beat = Steady::now() + heartbeat_interval;
          std::unique_lock lock(mutex);
          while (!done.stop_requested()) {
            const auto until = std::min(deadline, next_beat);
            wake.wait_until(lock, done, until, [] { return false; });
            if (done.stop_requested()) break;
            const auto now = Steady::now();
            if (now >= deadline && !stop.stop_requested()) {
              StopReason expected = StopReason::none;
              reason.compare_exchange_strong(expected, StopReason::timeout);
              context.warning("timeout", "the timeout was reached: cancelling the handler");
              stop.request_stop();
            }
            if (now >= next_beat) {
              next_beat = now + heartbeat_interval;
              beat(runs, id, stop, reason, context);
            }
          }
        }) {}

 private:
  static void beat(store::RunStore& runs, store::RunId id, std::stop_source& stop,
                   std::atomic<StopReason>& reason, const registry::HandlerContext& context) {
    try {
      if (runs.heartbeat(id)) return;
      // The row left `running` under us: an operator cancelled it, or another instance
      // decided we were dead. Cancelled: stop the handler. Abandoned: finish anyway; a late
      // completion is accepted.
      const auto run = runs.get(id);
      if (run && run->status == RunStatus::cancelled && !stop.stop_requested()) {
        StopReason expected = StopReason::none;
        reason.compare_exchange_strong(expected, StopReason::cancelled);
        stop.request_stop();
      } else if (run && run->status == RunStatus::abandoned) {
        spdlog::warn("task {} run {}: marked abandoned by another instance; still running",
                     context.task_name, id);
      }
    } catch (const std::exception& e) {
      // The state database is away for a moment: the next beat tries again.
      spdlog::warn("task {} run {}: heartbeat failed: {}", context.task_name, id, e.what());
    }
  }

  std::jthread thread_;
};

}  // namespace

store::JournalSettings journal_settings() {
  store::JournalSettings settings;
  settings.on_lost_event = [](const store::LostEvent& lost) {
    spdlog::warn("task {} run {}: could not record event '{}': {}", lost.task, lost.run, lost.event,
                 lost.reason);
  };
  return settings;
}

RunExecutor::RunExecutor(store::RunStore& runs, store::RunJournal& journal,
                         const config::Config& config, ExecutorSettings settings)
    : runs_(runs), journal_(journal), config_(config), settings_(std::move(settings)) {}

RunOutcome RunExecutor::execute(const RunRequest& request, std::stop_token cancel,
                                const RunObserver& observer) {
  RunOutcome outcome;
  outcome.id = request.id;
  const auto started = Steady::now();

  if (!request.started && !journal_.start(request.id, settings_.worker)) {
    // Someone else started or cancelled it first: report what the database says.
    const auto run = runs_.get(request.id);
    outcome.status = run ? run->status : RunStatus::failed;
    outcome.error = run ? run->error : "the run does not exist";
    return outcome;
  }
  outcome.started_at = store::system_clock()();

  std::stop_source stop;
  std::atomic<StopReason> reason{StopReason::none};
  registry::HandlerContext context;
  context.task_name = request.task_name;
  context.type = request.type;
  context.config = request.config;
  context.dry_run = request.dry_run;
  context.cancelled = stop.get_token();
  context.run_id = request.id;
  context.slot = request.slot;
  context.deadline = started + request.timeout;
  context.on_event = [&](registry::EventLevel level, std::string_view event,
                         std::string_view message) {
    if (settings_.log_events) {
      spdlog::log(spdlog_level(level), "task {} run {}: {}: {}", request.task_name, request.id,
                  event, message);
    }
    // Queued: written with the next batch (the journal's owner hears of one that was lost).
    journal_.add_event(request.id, request.task_name, std::string(to_string(level)),
                       std::string(event), std::string(message));
    if (observer.on_event) observer.on_event(level, event, message);
  };
  context.on_progress = observer.on_progress;
  HandlerConnections connections;
  context.sessions = [this, &connections](const std::string& name) {
    auto session = store::open_named_session(config_.databases, name);
    connections.add(store::watch_target_session(*session, config_.databases.at(name)));
    return session;
  };
  context.state_sessions = [this, &connections] {
    auto session = store::open_target_session(config_.state_database);
    connections.add(store::watch_target_session(*session, config_.state_database));
    return session;
  };
  // Registered after `connections` (destroyed before it); runs in the thread that stops the run.
  const std::stop_callback cut_statements(stop.get_token(),
                                          [&connections] { connections.cut_soon(); });
  context.peers = [this] {
    std::vector<registry::PeerTask> peers;
    auto add = [&](const config::Task& task) {
      const auto resolved = config_.registry->resolve(task.type);
      if (!resolved) return;  // validation reported it; such a task never runs
      peers.push_back({task.name, task.type, task.config, task.enabled, resolved->handler});
    };
    if (settings_.peers) {
      for (const auto& task : *settings_.peers) add(task);
    } else {
      for (const auto& task : config_.tasks) add(task);
    }
    return peers;
  };

  // The caller's cancellation (Ctrl-C, shutdown) reaches the handler through our stop source.
  std::stop_callback on_cancel(cancel, [&] {
    StopReason expected = StopReason::none;
    reason.compare_exchange_strong(expected, StopReason::cancelled);
    stop.request_stop();
  });

  context.info("start", fmt::format("{} started on {} (pid {}){}", request.type,
                                    settings_.worker.host, settings_.worker.pid,
                                    request.dry_run ? ", dry run: nothing will be changed" : ""));
  const auto resolved = config_.registry->resolve(request.type);
  if (!resolved) throw std::logic_error(resolved.error());  // callers resolve before recording
  bool threw = false;
  {
    Monitor monitor(runs_, request.id, started + request.timeout, settings_.heartbeat_interval,
                    stop, reason, context);
    try {
      outcome.result = resolved->handler->run(context);
    } catch (const std::exception& e) {
      threw = true;
      outcome.error = e.what();
    } catch (...) {
      threw = true;
      outcome.error = "the handler threw something that is not a std::exception";
    }
  }  // the monitor stops here: no heartbeat after the outcome
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);

  switch (reason.load()) {
    case StopReason::timeout:
      outcome.status = RunStatus::timed_out;
      outcome.error = fmt::format("timed out after {}", describe_timeout(request.timeout)) +
                      (outcome.error.empty() ? "" : ": " + outcome.error);
      break;
    case StopReason::cancelled:
      outcome.status = RunStatus::cancelled;
      outcome.error = "cancelled before the handler finished" +
                      (outcome.error.empty() ? "" : ": " + outcome.error);
      break;
    case StopReason::none:
      outcome.status = threw ? RunStatus::failed : RunStatus::completed;
      break;
  }
  const std::string took = format_run_duration(outcome.duration);
  if (outcome.status == RunStatus::completed) {
    context.info("complete", fmt::format("completed in {}", took));
  } else {
    context.log(registry::EventLevel::error, std::string(to_string(outcome.status)),
                outcome.status == RunStatus::timed_out
                    ? outcome.error
                    : fmt::format("{} (after {})", outcome.error, took));
  }

  if (!journal_.finish(request.id, outcome.status, outcome.result, outcome.error)) {
    // Cancelled by an operator while the handler was finishing: the database is the truth.
    if (const auto run = runs_.get(request.id)) {
      outcome.status = run->status;
      outcome.error = run->error;
    }
  }
  return outcome;
}

}  // namespace maintd::scheduler
