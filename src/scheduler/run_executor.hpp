#pragma once
// Executes one recorded run: the one place where a handler is called. `maintd run` uses it in
// the foreground; the daemon calls it from its workers.
//
// While the handler works, a monitor thread renews the run's heartbeat (so no instance marks it
// abandoned), enforces the timeout (cooperative: the handler's stop token is triggered), and
// notices when the run was cancelled from outside (its row left `running`). The outcome is
// decided in one place, after the handler returned:
//
//   handler returned, no stop requested    -> completed
//   handler threw, no stop requested       -> failed, with the exception's message
//   the timeout triggered the stop         -> timed_out  (whatever the handler returned or threw)
//   the caller's stop token / an operator  -> cancelled
//
// and recorded with one conditional UPDATE (store::RunJournal::finish).
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>

#include "config/config.hpp"
#include "registry/handler.hpp"
#include "store/run_journal.hpp"
#include "store/run_store.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

struct ExecutorSettings {
  // How often a running run renews heartbeat_at (DESIGN.md: heartbeat_interval).
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(10)};
  store::Worker worker;  // recorded on the run when it starts
  // Whether the run's events also go to the process log. The daemon wants them there;
  // `maintd run` prints them itself and would show each twice.
  bool log_events = true;
  // The tasks handlers see as their peers (health.report): the daemon's whole set, table tasks
  // included. Empty: the config's schedule-file tasks.
  std::shared_ptr<const tasks::TaskSet> peers;
};

struct RunRequest {
  store::RunId id = 0;  // a pending run, already recorded
  std::string task_name;
  std::string type;       // canonical
  nlohmann::json config;  // effective config for this run (the task's, with overrides)
  bool dry_run = false;
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::optional<Instant> slot = std::nullopt;  // the slot it runs; empty for a manual run
  // The run is `running` already, started by this worker's daemon (a one-off run: Launch).
  bool started = false;
};

struct RunOutcome {
  store::RunId id = 0;
  store::RunStatus status = store::RunStatus::failed;
  nlohmann::json result;  // what the handler returned; null if it threw
  std::string error;
  std::chrono::milliseconds duration{0};
  // When the handler was called here; empty when the run did not start here (another instance
  // started or cancelled it first).
  std::optional<store::Timestamp> started_at;
};

// Optional watchers of a run in progress (the CLI prints events and draws a progress bar).
struct RunObserver {
  registry::HandlerContext::EventSink on_event;
  registry::HandlerContext::ProgressSink on_progress;
};

// The journal settings of a run's owner (daemon, `maintd run`): an event that could not be
// written is logged as a warning.
store::JournalSettings journal_settings();

class RunExecutor {
 public:
  // The run's start, events and finish go through `journal` (group-committed with the other
  // runs in progress); reads and heartbeats through `runs`.
  RunExecutor(store::RunStore& runs, store::RunJournal& journal, const config::Config& config,
              ExecutorSettings settings);

  // Runs `request` in this thread and returns once its outcome is recorded. `cancel` is the
  // caller's way to stop it (Ctrl-C, shutdown). Throws store::StoreError only when the state
  // database fails; a failing handler is an outcome, not an exception.
  RunOutcome execute(const RunRequest& request, std::stop_token cancel,
                     const RunObserver& observer = {});

 private:
  store::RunStore& runs_;
  store::RunJournal& journal_;
  const config::Config& config_;
  ExecutorSettings settings_;
};

}  // namespace maintd::scheduler
