#pragma once
// The dashboard's pages as HTML, rendered from plain view models through the templates of
// http/web/templates (Mustache, by mstch: every value is HTML-escaped unless a template says
// otherwise, and none does). No server, no daemon, no state database here, so that every page
// can be tested by building its model by hand. Every value of a model is text as it should read
// (times formatted, durations written out) or a number a chart places; task names, errors,
// results and events come from users and are escaped like everything else.
//
// Pages load /assets/dashboard.css and, on the pages that update themselves, /assets/dashboard.js
// (both compiled into maintd); forms work without the script. Write buttons are forms that POST
// to /ui/... with the CSRF token in a hidden `csrf` field and the page to come back to in a
// hidden `return` field; they are left out for a read-only viewer.
//
// A page that updates itself has one live part (render_*_live): the same template the page
// includes, rendered alone, which the script fetches again (docs/dashboard.md#live-updates).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/duration.hpp"

namespace maintd::http::dashboard {

// What the viewer may do, and what the forms of its page carry.
// A one-off run waiting for its time, as the top of every page lists it.
struct WaitingRun {
  std::int64_t id = 0;
  std::string task = {};
  std::string due_at = {};  // "2026-03-29T01:00:00Z"
};

// What the viewer may do, and what the forms of its page carry; and what the top of every page
// says about maintd as a whole (a pause, the one-off runs waiting).
struct Viewer {
  bool can_write = false;   // the read-write token (or loopback without tokens): buttons shown
  bool can_logout = false;  // signed in through the login form: a "Log out" button
  std::string csrf = {};    // the maintd_csrf cookie's value, put in every form
  std::string paused = {};  // the current pause in words ("paused by ... since ..."); "" if none
  std::vector<WaitingRun> one_offs = {};  // the first few waiting, earliest first
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
  // What it did, in its handler's words ("released 3 claims", "2 drafts failed, 2 refunded");
  // "" when its result says nothing (it failed, or its handler declares no headline).
  std::string summary = {};
  // Its handler's headline count (registry/headline.hpp); empty when none.
  std::optional<double> headline = std::nullopt;
  // For charts and placement: how long it took in seconds (empty before it started), and when
  // it ran (started, else created) in milliseconds since the epoch.
  std::optional<double> seconds = std::nullopt;
  std::int64_t at_ms = 0;
};

// One run as a mark of a task's strip: placed by its position among the task's last runs.
struct RunMark {
  std::int64_t id = 0;
  std::string status = {};
  double x = 0;
  std::string title = {};  // the hover text: "#42 completed · slot ... · 1.2s · released 3 claims"
};

// A small curve of numbers over a fixed box (a task's run durations).
struct Sparkline {
  double width = 0;
  double height = 0;
  std::string points = {};  // the polyline's "x,y x,y ..."
  double last_x = 0;
  double last_y = 0;
  std::string label = {};  // "durations of the last 50 runs: 0.2s to 1.4s"
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
  std::vector<RunMark> strip = {};                                 // its last runs, oldest first
  std::optional<Sparkline> sparkline = std::nullopt;               // their durations
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

// How the counts of the task list's summary line read; computed over every task, not one page.
struct TaskCounts {
  std::size_t tasks = 0, enabled = 0, running = 0, failing = 0, stale = 0, overdue = 0;
};

// Links to the neighbouring pages of a long list.
struct Pager {
  std::string previous_href = {};  // "" on the first page
  std::string next_href = {};      // "" on the last
  std::string text = {};           // "tasks 101-200 of 1,000"
};

struct TasksPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  std::vector<TaskSummary> tasks = {};              // this page's
  std::string generated_at = {};                    // "2026-03-29T01:00:00Z"
  std::optional<TaskCounts> counts = std::nullopt;  // empty: counted from `tasks`
  std::optional<Pager> pager = std::nullopt;
  int strip_size = 50;  // the runs a strip shows at most
};

// A point of a chart over time.
struct ChartPoint {
  std::int64_t run_id = 0;
  std::string status = {};
  double x = 0;
  double y = 0;
  std::string title = {};
};

// A chart of one number of a task's runs over time (duration, the headline count), in a box of
// `width` x `height` user units that the page scales to its width.
struct Chart {
  std::string name = {};   // "duration", "headline": the figure's data-chart
  std::string title = {};  // "Duration", "Claims released"
  double width = 640;
  double height = 170;
  double plot_left = 0, plot_right = 0, plot_top = 0, plot_bottom = 0;  // the plot's box
  std::string y_max = {};               // the top of the axis, as it reads ("12.3s", "1,204")
  std::string y_min = {};               // its bottom ("0")
  std::string x_from = {};              // the first run's time ("03-28 01:00")
  std::string x_to = {};                // the last run's
  std::vector<ChartPoint> points = {};  // oldest first
  std::string line = {};                // the polyline through them
  std::string empty = {};               // why there is nothing to draw ("" when there are points)
};

struct Choice {
  std::string value = {};
  std::string label = {};
  bool selected = false;
};

// The task page's filters: each select's choices, the first meaning "any".
struct RunFilters {
  std::vector<Choice> statuses = {};
  std::vector<Choice> triggers = {};
  std::vector<Choice> periods = {};
  bool active = false;  // some filter is set: a link clears them
};

struct TaskPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  TaskSummary task = {};
  std::vector<RunWithEvents> runs = {};  // newest first
  std::string older_href = {};           // the next page of older runs; "" when none
  std::string generated_at = {};
  std::vector<Chart> charts = {};  // over the runs the filters select
  RunFilters filters = {};
};

struct RunPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  std::string task_name = {};
  RunSummary run = {};
  std::vector<EventLine> events = {};
  std::string generated_at = {};
};

// A run, or several close together, on the 24-hour timeline.
struct TimelineMark {
  std::int64_t run_id = 0;  // the newest of them
  std::string status = {};  // the worst of them (failed over running over completed ...)
  double x = 0;             // on the lane's 0..width axis
  double width = 0;
  int runs = 1;  // how many runs the mark stands for
  std::string title = {};
};

struct TimelineRow {
  std::string name = {};
  bool overdue = false;
  bool failing = false;   // its last run failed or timed out
  std::string note = {};  // why it is listed first: "overdue: ...", "last run failed"
  std::vector<TimelineMark> marks = {};
};

struct OverviewPage {
  Viewer viewer = {};
  std::optional<Flash> flash = std::nullopt;
  TaskCounts counts = {};
  double lane_width = 1440;             // the lanes' axis: one unit a minute
  std::vector<std::string> axis = {};   // 8 labels, one every 3 hours from the start ("09:00")
  std::vector<double> hour_lines = {};  // where each 3-hour line is on the lane
  double now_x = 0;
  std::string from = {};  // "2026-03-28T09:00:00Z"
  std::string to = {};
  std::vector<TimelineRow> rows = {};
  std::optional<Pager> pager = std::nullopt;
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

// Whole pages.
std::string render_tasks(const TasksPage& page);
std::string render_task(const TaskPage& page);
std::string render_run(const RunPage& page);
std::string render_overview(const OverviewPage& page);
std::string render_login(const LoginPage& page);
std::string render_message(const MessagePage& page);
// The live part of a page alone: what the script fetches to update it.
std::string render_tasks_live(const TasksPage& page);
std::string render_task_live(const TaskPage& page);
std::string render_run_live(const RunPage& page);
std::string render_overview_live(const OverviewPage& page);

// How the task list's summary line reads: "3 tasks, 3 enabled · 0 running · ...".
std::string counts_text(const TaskCounts& counts);
TaskCounts count_tasks(const std::vector<TaskSummary>& tasks);

// A run's duration as the pages show it: "0.4s", "12.3s", "3m04s", "2h05m", "3d04h" (the one
// formatter of run durations, common/duration.hpp).
using maintd::format_run_duration;
// A distance in time, rounded for reading: "12s", "5m", "3h05m", "2d03h".
std::string format_distance(std::chrono::seconds distance);

// Where a dashboard URL for a task or run is: "/tasks/a%20b", "/runs/42".
std::string task_href(const std::string& name);
std::string run_href(std::int64_t id);

}  // namespace maintd::http::dashboard
