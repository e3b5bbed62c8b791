#pragma once
// The dashboard's pages as HTML, rendered from plain view models: no server, no daemon, no state
// database here, so that every page can be tested by building its model by hand. Every value of
// a model is text as it should read (times formatted, durations written out) and is escaped when
// rendered: task names, errors and events come from users.
//
// Pages are complete documents with their style inline and no script: forms work without one.
// Write buttons are forms that POST to /ui/... with the CSRF token in a hidden `csrf` field and
// the page to come back to in a hidden `return` field; they are left out for a read-only viewer.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/duration.hpp"

namespace maintd::http::dashboard {

// What the viewer may do, and what the forms of its page carry.
struct Viewer {
  bool can_write = false;   // the read-write token (or loopback without tokens): buttons shown
  bool can_logout = false;  // signed in through the login form: a "Log out" button
  std::string csrf = {};    // the maintd_csrf cookie's value, put in every form
};

// A message shown once at the top of a page after a write ("run 42 started").
struct Flash {
  enum class Kind { ok, error };
  Kind kind = Kind::ok;
  std::string text = {};
};

struct RunSummary {
  std::int64_t id = 0;
  std::string status = {};   // "completed", "running", ... (store::RunStatus as text)
  std::string trigger = {};  // "schedule", "manual", "catchup", "retry"
  bool dry_run = false;
  int attempt = 1;
  std::string scheduled_for = {};  // "" for a manual run
  std::string created_at = {};
  std::string started_at = {};    // "" when it never started
  std::string finished_at = {};   // "" while it runs
  std::string heartbeat_at = {};  // ""
  std::string duration = {};      // "1.2s", or so far for a run in progress; "" when not started
  std::string host = {};          // who executed it ("" when not started)
  std::string error = {};         // the failure, or why a slot was skipped
  // Abandoned, or still pending/running with a heartbeat older than the lease: the process that
  // owns it died or hangs.
  bool stale = false;
};

struct TaskSummary {
  std::string name = {};
  std::string type = {};
  std::string description = {};
  std::string schedule = {};  // the cron expression as written
  std::string timezone = {};
  std::string explanation = {};  // "At 03:00" ("" when unknown)
  std::string origin = {};       // "file:schedules/a.yaml" or "db"
  bool enabled = true;
  bool dry_run = false;           // the task itself is configured as a dry run
  bool defined = true;            // false: runs recorded for a task that is no longer defined
  std::string next_slot = {};     // "" when none (disabled)
  std::string next_slot_in = {};  // "in 3h05m"
  std::optional<RunSummary> last_run = std::nullopt;  // its latest run that was not a skipped slot
  // Past its expect_success_within: "no completed run for 3h (expected within 2h)".
  std::optional<std::string> overdue = std::nullopt;
  std::vector<std::pair<std::string, std::string>> policies = {};  // ("timeout", "1h"), ...
};

struct EventLine {
  std::string at = {};
  std::string level = {};  // debug, info, warning, error
  std::string event = {};
  std::string message = {};
};

struct RunWithEvents {
  RunSummary run = {};
  std::vector<EventLine> events = {};
  std::size_t events_omitted = 0;  // events left out of a long run's list (see its run page)
};

struct TasksPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  std::vector<TaskSummary> tasks = {};
  std::string generated_at = {};  // "2026-03-29T01:00:00Z"
};

struct TaskPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  TaskSummary task = {};
  std::vector<RunWithEvents> runs = {};  // newest first
  std::string older_href = {};           // the next page of older runs; "" when none
  std::string generated_at = {};
};

struct RunPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  std::string task_name = {};
  RunSummary run = {};
  std::vector<EventLine> events = {};
  std::string generated_at = {};
};

struct LoginPage {
  std::string error = {};  // "" or why the last attempt failed
};

// An answer that is not a page of data: a refusal (401, 403), something missing (404).
struct MessagePage {
  unsigned status = 200;
  std::string title = {};
  std::string message = {};
  std::string back_href = "/";  // "" for none
  std::string back_text = "Back to the dashboard";
};

std::string render_tasks(const TasksPage& page);
std::string render_task(const TaskPage& page);
std::string render_run(const RunPage& page);
std::string render_login(const LoginPage& page);
std::string render_message(const MessagePage& page);

// A run's duration as the pages show it: "0.4s", "12.3s", "3m04s", "2h05m", "3d04h" (the one
// formatter of run durations, common/duration.hpp).
using maintd::format_run_duration;
// A distance in time, rounded for reading: "12s", "5m", "3h05m", "2d03h".
std::string format_distance(std::chrono::seconds distance);

// Where a dashboard URL for a task or run is: "/tasks/a%20b", "/runs/42".
std::string task_href(const std::string& name);
std::string run_href(std::int64_t id);

}  // namespace maintd::http::dashboard
