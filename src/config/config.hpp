#pragma once
// The validated configuration: maintd.yaml plus every task from the schedule files. A Config
// only exists when everything validated; nothing is ever half-loaded.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/shared_json.hpp"
#include "connection/database_url.hpp"
#include "connection/task_table_spec.hpp"
#include "cron/schedule.hpp"
#include "registry/registry.hpp"

namespace maintd::config {

using std::chrono::seconds;

enum class Concurrency { forbid, allow, replace };
std::string to_string(Concurrency concurrency);

// Per-task policies (DESIGN.md); `defaults:` in maintd.yaml overrides these built-in values.
struct Policies {
  seconds timeout{3600};  // the handler is cancelled, then the run is timed_out
  Concurrency concurrency = Concurrency::forbid;
  seconds catchup{300};       // missed slots this recent run once (coalesced); older are skipped
  int retries = 0;            // further attempts after a failure
  seconds retry_backoff{30};  // before retry n: retry_backoff * 2^(n-1)
  seconds jitter{0};          // a fixed, per-task delay in [0, jitter) spreading load
  // A task with no completed run for this long is overdue: logged at error level, alerted,
  // shown on the dashboard and in metrics. Empty: not watched.
  std::optional<seconds> expect_success_within;
  // After this many consecutive failed or timed-out runs the task is disabled (as `maintd task
  // disable` does) until someone enables it again (scheduler/failure_pause.hpp). 0: never.
  int pause_after_failures = 0;
};

struct Task {
  std::string name;
  std::string display_name;
  std::string description;
  std::string scope_type;
  std::string type;          // canonical: what runs are recorded under
  std::string written_type;  // as written: may be a legacy alias
  std::string schedule;      // the cron expression as written
  std::string timezone;
  cron::Schedule slots;  // the expression in its zone
  bool enabled = true;
  bool dry_run = false;
  Policies policies;
  // Shared between tasks with equal values (config/shared_json.hpp).
  SharedJson config;          // effective: handler defaults < type preset < the task's own
  SharedJson written_config;  // the task's own `config:` as written
  Location defined_at;        // the task's entry in its schedule file, or its table row
  // Where the definition lives: a schedule file, or a row of `scheduled_tasks` that was added
  // there (`maintd task add`); a table task's defined_at reads "scheduled_tasks 'name'".
  enum class Source { file, table };
  Source source = Source::file;
  // A file task's schedule file relative to the directory of maintd.yaml, as a `schedules:`
  // entry names it ("schedules/a.yaml", "../schedules/demo/a.yaml"): the origin stored in the
  // table must not depend on the working directory. Empty: defined_at.file.
  std::string file;
  // "file:<path>" (path as in `file`) or "db".
  std::string origin() const {
    if (source == Source::table) return "db";
    return "file:" + (file.empty() ? defined_at.file : file);
  }
};

// Where a task defined by a row of scheduled_tasks is said to be: "scheduled_tasks 'nightly'".
// A name longer than any valid one (a hand edit) is cut: "scheduled_tasks 'aaaa...' (a name of
// 70000 bytes)".
Location table_location(const std::string& task_name);
// A task name as messages show it: cut to its first 32 bytes and "..." when it is longer than
// any valid name.
std::string shown_task_name(const std::string& task_name);

struct LogSettings {
  std::string level = "info";   // trace, debug, info, warning, error
  std::string format = "text";  // text, json
};

struct HttpSettings {
  std::optional<std::string> listen;           // "127.0.0.1:8089"; unset: no HTTP server
  std::optional<std::string> token;            // secret: never printed
  std::optional<std::string> read_only_token;  // secret: never printed
  bool metrics_public = true;                  // GET /metrics without a token (Prometheus scrapers)
  bool probes_public = true;  // GET /healthz and /readyz without a token (systemd, load balancers)
};

// `notify:` in maintd.yaml: where alerts go (scheduler/alerts.hpp).
struct WebhookSettings {
  std::string url;                             // http:// or https://host[:port]/path
  seconds timeout{5};                          // per attempt
  int retries = 2;                             // further attempts after a failed one
  std::map<std::string, std::string> headers;  // values may be secrets: never printed
  std::string ca_file;  // PEM: the CAs trusted for an https URL instead of the system's
};
struct NotifySettings {
  std::vector<WebhookSettings> webhooks;
  std::vector<std::string> command;  // argv; the alert as JSON on stdin. Empty: none
  seconds command_timeout{5};        // then the command's process group is killed
  // Alert kinds that are sent: failed, timed_out, abandoned, overdue, paused.
  std::vector<std::string> on{"failed", "timed_out", "abandoned", "overdue", "paused"};
  seconds min_interval{300};  // per task and kind: at most one alert in this time
};
// The alert kinds `notify.on` may name.
inline const std::vector<std::string>& alert_kinds() {
  static const std::vector<std::string> kinds{"failed", "timed_out", "abandoned", "overdue",
                                              "paused"};
  return kinds;
}

// Why a webhook URL cannot be used (not http or https, no host, credentials before '@', which
// are refused without being repeated), or nothing.
std::optional<std::string> webhook_url_problem(std::string_view url);

struct DaemonSettings {
  int workers = 4;
  seconds heartbeat_interval{10};
  seconds lease{60};
  seconds poll_interval{30};
  seconds shutdown_grace{30};
};

// `task_table:`: the table the tasks are in, when it is not the state database's own
// scheduled_tasks (an application's table, of the guide's shape or mapped to it).
struct TaskTableSettings {
  std::string database;  // a name of `databases:`; empty: the state database
  connection::TaskTableSpec spec;

  bool in_state_database() const { return database.empty(); }
  // The state database's own scheduled_tasks, which `maintd db migrate` creates when absent.
  bool is_default() const { return in_state_database() && spec.is_default(); }
};

struct Config {
  std::filesystem::path path;  // the maintd.yaml that was read
  connection::DatabaseUrl state_database;
  // PostgreSQL: the schema of maintd's own tables (`state_schema:`); empty: the default path.
  std::string state_schema;
  TaskTableSettings task_table;
  std::map<std::string, connection::DatabaseUrl> databases;
  // Applied to state_database and every one of `databases` when they were read.
  connection::DatabaseTimeouts database_timeouts;
  std::vector<std::string> schedule_files;  // as displayed in messages, in reading order
  std::string default_timezone = "UTC";
  Policies default_policies;
  DaemonSettings daemon;
  LogSettings log;
  HttpSettings http;
  NotifySettings notify;
  std::shared_ptr<const registry::Registry> registry;  // built-in + config aliases and types
  std::vector<Task> tasks;                             // in file order

  const Task* find_task(std::string_view name) const;
};

}  // namespace maintd::config
