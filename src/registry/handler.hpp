#pragma once
// What a handler is to the rest of maintd: a canonical `domain.action` type, a one-line
// description, a config schema, and the function that does the work.
#include <soci/session.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "registry/headline.hpp"
#include "registry/schema.hpp"

namespace maintd::registry {

enum class EventLevel { debug, info, warning, error };
std::string_view to_string(EventLevel level);

// How far a handler has got, for progress bars and the run's events.
struct Progress {
  std::int64_t done = 0;              // units processed so far
  std::optional<std::int64_t> total;  // when the handler knows it
  std::string unit = "rows";
  std::int64_t batches = 0;
};

struct HandlerInfo;

// Another task of the same configuration, as health.report sees it to dry-run its neighbours.
struct PeerTask {
  std::string name;
  std::string type;       // canonical
  nlohmann::json config;  // effective
  bool enabled = true;
  const HandlerInfo* handler = nullptr;
};

// What one execution of a handler gets. The runner of the handler (the executor, or a test)
// fills in the services; a service left unset is a no-op (events, progress), the system clock,
// or an error saying it is missing (databases).
struct HandlerContext {
  std::string task_name;
  std::string type;       // canonical
  nlohmann::json config;  // effective: defaults, then type preset, then the task's own, then --set
  bool dry_run = false;
  std::stop_token cancelled;  // cooperative cancellation: check between units of work
  std::int64_t run_id = 0;    // the recorded run; 0 when there is none
  // The slot the run executes (a retry: its slot's); empty for a manual run.
  std::optional<std::chrono::system_clock::time_point> slot;
  // When the task's timeout ends the run (`cancelled` fires then): a handler that waits (before
  // trying a request again) gives up rather than start a wait that would end after it. Empty:
  // no timeout known (tests, tools).
  std::optional<std::chrono::steady_clock::time_point> deadline;

  using EventSink = std::function<void(EventLevel, std::string_view event, std::string_view)>;
  using ProgressSink = std::function<void(const Progress&)>;
  using SessionFactory = std::function<std::unique_ptr<soci::session>(const std::string&)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using StateSessionFactory = std::function<std::unique_ptr<soci::session>()>;
  using PeerLister = std::function<std::vector<PeerTask>()>;
  EventSink on_event;        // the run's own log: maintd_run_events and the process log
  ProgressSink on_progress;  // the terminal's progress bar, the daemon's status
  SessionFactory sessions;   // a new session to a target database named under `databases:`
  Clock clock;
  // maintd's own state database (maintd_runs, maintd_run_events), for the handlers that keep
  // maintd's history bounded or report on it. A new session per call, like `sessions`.
  StateSessionFactory state_sessions;
  // The tasks of the configuration the run started from (its schedule files: tasks defined only
  // in scheduled_tasks are not listed yet), for health.report's dry runs of its neighbours.
  PeerLister peers;

  // A line of the run's log: `event` is a short machine name ("batch"), `message` for people.
  void log(EventLevel level, std::string_view event, std::string_view message) const {
    if (on_event) on_event(level, event, message);
  }
  void info(std::string_view event, std::string_view message) const {
    log(EventLevel::info, event, message);
  }
  void warning(std::string_view event, std::string_view message) const {
    log(EventLevel::warning, event, message);
  }
  void progress(const Progress& progress) const {
    if (on_progress) on_progress(progress);
  }
  // A session of its own to the target database `name` (declared under `databases:`).
  std::unique_ptr<soci::session> database(const std::string& name) const {
    if (!sessions) throw std::logic_error("this run has no target databases configured");
    return sessions(name);
  }
  std::unique_ptr<soci::session> state_database() const {
    if (!state_sessions) throw std::logic_error("this run has no state database");
    return state_sessions();
  }
  std::vector<PeerTask> peer_tasks() const { return peers ? peers() : std::vector<PeerTask>{}; }
  std::chrono::system_clock::time_point now() const {
    return clock ? clock() : std::chrono::system_clock::now();
  }
  bool stop_requested() const { return cancelled.stop_requested(); }
};

// Returns the run's result (counts, ids); throws to fail the run with the exception's message.
// A handler that stops early because it was cancelled returns (or throws) as it likes: the run
// is recorded as cancelled or timed out either way, with whatever result it returned.
using HandlerFunction = std::function<nlohmann::json(HandlerContext&)>;

// For `maintd validate --check-databases`: what is wrong between a task's (schema-checked,
// defaults filled in) config and the live target database: a table or column it names that does
// not exist. Issues name the config key. May throw when a database cannot be reached.
using DatabaseCheck = std::function<std::vector<SchemaIssue>(
    const nlohmann::json& config, const HandlerContext::SessionFactory& sessions)>;

struct HandlerInfo {
  std::string type;
  std::string description;
  ConfigSchema schema;
  HandlerFunction run;
  DatabaseCheck check_database = {};  // unset: the handler names nothing in a target database
  // Which number of its result says what a run changed, and the result in words (headline.hpp).
  // Optional so that a handler can be registered before it has one; every built-in handler
  // declares one (tests/handlers/test_headlines.cpp checks it). Without one, views show the
  // run's status and no count.
  std::optional<Headline> headline = std::nullopt;
};

// `domain.action`: ^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$ (DESIGN.md).
bool is_type_name(std::string_view text);

}  // namespace maintd::registry
