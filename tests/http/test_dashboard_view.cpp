// The dashboard's pages rendered from hand-built view models: escaping of hostile values,
// badges, the overdue and stale highlights, and the write buttons a read-only viewer must not get.
#include <doctest/doctest.h>

#include <string>

#include "http/dashboard_view.hpp"
#include "http/html.hpp"
#include "support/text.hpp"

namespace dash = maintd::http::dashboard;
namespace html = maintd::http::html;
using maintd::testing::contains;
using maintd::testing::count;

namespace {

const std::string kHostile = "<script>alert(\"x\")</script>&'";

dash::Viewer writer() {
  return {.can_write = true, .can_logout = true, .csrf = "c5rf"};
}
dash::Viewer reader() {
  return {.can_write = false, .can_logout = true, .csrf = "c5rf"};
}

dash::RunSummary run(std::int64_t id, std::string status) {
  dash::RunSummary summary;
  summary.id = id;
  summary.status = std::move(status);
  summary.trigger = "manual";
  summary.created_at = "2026-03-29T01:00:00Z";
  summary.started_at = "2026-03-29T01:00:00Z";
  summary.finished_at = "2026-03-29T01:00:01Z";
  summary.duration = "1.2s";
  return summary;
}

dash::TaskSummary task(std::string name) {
  dash::TaskSummary summary;
  summary.name = std::move(name);
  summary.type = "debug.noop";
  summary.schedule = "0 3 * * *";
  summary.timezone = "Europe/Paris";
  summary.explanation = "At 03:00";
  summary.next_slot = "2026-03-30T01:00:00Z";
  summary.next_slot_in = "in 23h";
  summary.origin = "file:schedules/a.yaml";
  return summary;
}

}  // namespace

TEST_CASE("html::escape replaces the five special characters") {
  CHECK(html::escape("a<b>c&d\"e'f") == "a&lt;b&gt;c&amp;d&quot;e&#39;f");
  CHECK(html::escape("plain text, ünïcode") == "plain text, ünïcode");
  CHECK(html::escape("") == "");
}

TEST_CASE("html::url_encode keeps only unreserved characters") {
  CHECK(html::url_encode("nightly-vacuum_1.x~") == "nightly-vacuum_1.x~");
  CHECK(html::url_encode("a b/c?d&e\"<") == "a%20b%2Fc%3Fd%26e%22%3C");
  CHECK(html::url_encode("é") == "%C3%A9");
}

TEST_CASE("a hostile task name, type, error and description are escaped everywhere") {
  dash::TaskSummary hostile = task(kHostile);
  hostile.type = kHostile;
  hostile.description = kHostile;
  hostile.schedule = kHostile;
  hostile.timezone = kHostile;
  hostile.explanation = kHostile;
  hostile.last_run = run(7, "failed");
  hostile.last_run->error = kHostile;
  hostile.overdue = kHostile;

  dash::TasksPage tasks{.viewer = writer(),
                        .flash = dash::Flash{dash::Flash::Kind::error, kHostile},
                        .tasks = {hostile},
                        .generated_at = "2026-03-29T01:00:00Z"};
  const std::string list = dash::render_tasks(tasks);
  CHECK_FALSE(contains(list, "<script>"));
  CHECK_FALSE(contains(list, "alert(\"x\")"));
  CHECK(contains(list, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
  // In links the name is percent-encoded, so it cannot leave the attribute or add a path.
  CHECK(contains(list, "href=\"/tasks/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%26%27\""));
  CHECK(contains(list, "action=\"/ui/tasks/%3Cscript%3E"));
  CHECK(contains(list, "data-task=\"&lt;script&gt;"));

  dash::TaskPage page{
      .viewer = writer(), .flash = std::nullopt, .task = hostile, .runs = {}, .generated_at = ""};
  dash::RunWithEvents entry{.run = run(7, "failed"), .events = {}, .events_omitted = 0};
  entry.run.error = kHostile;
  entry.run.host = kHostile;
  entry.events.push_back({"01:00:00", "error", kHostile, kHostile});
  page.runs.push_back(entry);
  const std::string detail = dash::render_task(page);
  CHECK_FALSE(contains(detail, "<script>"));
  CHECK(contains(detail, "<title>&lt;script&gt;"));

  dash::RunPage run_page{.viewer = writer(),
                         .flash = std::nullopt,
                         .task_name = kHostile,
                         .run = entry.run,
                         .events = entry.events,
                         .generated_at = ""};
  const std::string run_html = dash::render_run(run_page);
  CHECK_FALSE(contains(run_html, "<script>"));
  CHECK(contains(run_html, "&lt;script&gt;"));

  CHECK_FALSE(contains(dash::render_login({.error = kHostile}), "<script>"));
  CHECK_FALSE(contains(
      dash::render_message({.status = 403, .title = kHostile, .message = kHostile}), "<script>"));
}

TEST_CASE("each run status gets its own badge") {
  for (const std::string status : {"completed", "failed", "timed_out", "running", "pending",
                                   "cancelled", "abandoned", "skipped"}) {
    dash::TaskSummary summary = task("t");
    summary.last_run = run(1, status);
    const std::string page = dash::render_tasks({.viewer = writer(), .tasks = {summary}});
    CAPTURE(status);
    CHECK(contains(page, "<span class=\"badge " + status + "\">" + status + "</span>"));
  }
  dash::TaskSummary odd = task("t");
  odd.last_run = run(1, "\"weird");
  const std::string page = dash::render_tasks({.viewer = writer(), .tasks = {odd}});
  CHECK(contains(page, "<span class=\"badge other\">&quot;weird</span>"));
}

TEST_CASE("a stale run highlights its row, an overdue task gets its badge") {
  dash::TaskSummary fine = task("fine");
  fine.last_run = run(1, "completed");
  dash::TaskSummary abandoned = task("abandoned");
  abandoned.last_run = run(2, "abandoned");
  abandoned.last_run->stale = true;
  dash::TaskSummary late = task("late");
  late.overdue = "no completed run for 3h (expected within 2h)";

  const std::string page =
      dash::render_tasks({.viewer = writer(), .tasks = {fine, abandoned, late}});
  CHECK(contains(page, "<tr class=\"task\" data-task=\"fine\">"));
  CHECK(contains(page, "<tr class=\"task stale\" data-task=\"abandoned\">"));
  CHECK(contains(page, "<tr class=\"task overdue\" data-task=\"late\">"));
  CHECK(count(page, "class=\"badge stale\"") == 1);
  CHECK(count(page, "class=\"badge overdue\"") == 1);
  CHECK(contains(page, "no completed run for 3h (expected within 2h)"));
  CHECK(contains(page, "3 tasks, 3 enabled · 0 running · 0 failing · 1 stale · 1 overdue"));
  CHECK(contains(page, "never ran"));
}

TEST_CASE("a read-only viewer gets no write buttons") {
  dash::TaskSummary enabled = task("on");
  enabled.last_run = run(1, "running");
  dash::TaskSummary disabled = task("off");
  disabled.enabled = false;

  const std::string for_writer =
      dash::render_tasks({.viewer = writer(), .tasks = {enabled, disabled}});
  CHECK(count(for_writer, "data-action=\"run\"") == 2);
  CHECK(count(for_writer, "data-action=\"dry-run\"") == 2);
  CHECK(count(for_writer, "data-action=\"disable\"") == 1);
  CHECK(count(for_writer, "data-action=\"enable\"") == 1);
  CHECK(contains(for_writer, "action=\"/ui/tasks/on/run\""));
  CHECK(contains(for_writer, "action=\"/ui/tasks/off/enable\""));
  CHECK(contains(for_writer, "action=\"/ui/tasks/on/disable\""));
  // Every write form carries the CSRF token and where to come back to.
  CHECK(count(for_writer, "name=\"csrf\" value=\"c5rf\"") ==
        count(for_writer, "<form method=\"post\""));
  CHECK(contains(for_writer, "name=\"return\" value=\"/\""));
  CHECK_FALSE(contains(for_writer, "read-only access"));

  const std::string for_reader =
      dash::render_tasks({.viewer = reader(), .tasks = {enabled, disabled}});
  CHECK_FALSE(contains(for_reader, "/ui/"));
  CHECK_FALSE(contains(for_reader, "data-action"));
  CHECK_FALSE(contains(for_reader, "Run now"));
  CHECK_FALSE(contains(for_reader, "<th>Actions</th>"));
  CHECK(contains(for_reader, "read-only access"));
  CHECK(contains(for_reader, "action=\"/logout\""));  // logging out is not a write

  dash::TaskPage page{.viewer = reader(), .task = enabled};
  page.runs.push_back({.run = run(5, "running")});
  const std::string detail_reader = dash::render_task(page);
  CHECK_FALSE(contains(detail_reader, "/ui/"));
  page.viewer = writer();
  const std::string detail_writer = dash::render_task(page);
  CHECK(contains(detail_writer, "action=\"/ui/runs/5/cancel\""));
  CHECK(contains(detail_writer, "name=\"return\" value=\"/tasks/on\""));
}

TEST_CASE("the task page lists runs with their events and marks a task no longer defined") {
  dash::TaskSummary summary = task("nightly");
  summary.policies = {{"timeout", "1h"}, {"concurrency", "forbid"}};
  dash::TaskPage page{.viewer = writer(), .task = summary};
  dash::RunWithEvents done{.run = run(42, "completed")};
  done.run.trigger = "schedule";
  done.run.scheduled_for = "2026-03-29T01:00:00Z";
  done.events = {{"01:00:00.120", "info", "start", "starting"},
                 {"01:00:01.020", "warning", "batch", "slow batch"}};
  done.events_omitted = 3;
  dash::RunWithEvents failed{.run = run(41, "failed")};
  failed.run.error = "boom";
  failed.run.attempt = 2;
  page.runs = {done, failed};

  const std::string html_text = dash::render_task(page);
  CHECK(contains(html_text, "<tr class=\"run\" data-run=\"42\" data-status=\"completed\">"));
  CHECK(contains(html_text, "<tr class=\"run\" data-run=\"41\" data-status=\"failed\">"));
  CHECK(contains(html_text, "<summary>5 events</summary>"));
  CHECK(contains(html_text, "<tr class=\"warning\">"));
  CHECK(contains(html_text, "slow batch"));
  CHECK(contains(html_text, "3 more on <a href=\"/runs/42\">"));
  CHECK(contains(html_text, "attempt 2"));
  CHECK(contains(html_text, "<dt>timeout</dt><dd>1h</dd>"));
  CHECK(contains(html_text, "data-action=\"run\""));
  CHECK_FALSE(contains(html_text, "/cancel"));  // nothing in progress

  page.task.defined = false;
  const std::string gone = dash::render_task(page);
  CHECK(contains(gone, "not defined any more"));
  CHECK_FALSE(contains(gone, "data-action=\"run\""));

  page.runs.clear();
  CHECK(contains(dash::render_task(page), "No runs recorded yet."));
}

TEST_CASE("flash messages show once, as success or error") {
  const std::string ok = dash::render_tasks(
      {.viewer = writer(), .flash = dash::Flash{dash::Flash::Kind::ok, "run 42 started"}});
  CHECK(contains(ok, "<div class=\"flash ok\" role=\"status\">run 42 started</div>"));
  const std::string refused = dash::render_tasks(
      {.viewer = writer(),
       .flash = dash::Flash{dash::Flash::Kind::error, "previous run 41 still running"}});
  CHECK(contains(refused,
                 "<div class=\"flash error\" role=\"alert\">previous run 41 still running</div>"));
}

TEST_CASE("the login page posts a password field to /login") {
  const std::string page = dash::render_login({});
  CHECK(contains(page, "<form method=\"post\" action=\"/login\">"));
  CHECK(contains(page, "type=\"password\" id=\"token\" name=\"token\""));
  CHECK_FALSE(contains(page, "flash error"));
  CHECK(contains(dash::render_login({.error = "wrong token"}), "wrong token"));
}

TEST_CASE("durations and distances read short") {
  using namespace std::chrono;
  CHECK(dash::format_run_duration(milliseconds(0)) == "0.0s");
  CHECK(dash::format_run_duration(milliseconds(1234)) == "1.2s");
  CHECK(dash::format_run_duration(milliseconds(59'999)) == "59.9s");
  CHECK(dash::format_run_duration(seconds(184)) == "3m04s");
  CHECK(dash::format_run_duration(seconds(7500)) == "2h05m");
  CHECK(dash::format_run_duration(hours(76)) == "3d04h");
  CHECK(dash::format_run_duration(milliseconds(-5)) == "0.0s");
  CHECK(dash::format_distance(seconds(12)) == "12s");
  CHECK(dash::format_distance(seconds(330)) == "5m");
  CHECK(dash::format_distance(seconds(3 * 3600 + 300)) == "3h05m");
  CHECK(dash::format_distance(hours(2)) == "2h");
  CHECK(dash::format_distance(hours(51)) == "2d03h");
}

TEST_CASE("the top of every page: the pause banner with Resume, the pause form, one-off runs") {
  dash::Viewer paused = writer();
  paused.paused = "paused by <ops> since 2026-03-29T01:00:00Z: deploy";
  paused.one_offs = {{7, "nightly", "2026-03-29T03:00:00Z"}};
  const std::string page = dash::render_tasks({.viewer = paused, .tasks = {task("nightly")}});
  CHECK(contains(page, "class=\"paused-banner\""));
  CHECK(contains(page, "maintd is paused by &lt;ops&gt; since 2026-03-29T01:00:00Z: deploy."));
  CHECK(contains(page, "action=\"/ui/resume\""));
  CHECK_FALSE(contains(page, "action=\"/ui/pause\""));
  CHECK(contains(page, "One-off runs waiting:"));
  CHECK(contains(page, "action=\"/ui/runs/7/cancel\""));
  CHECK(count(page, "name=\"csrf\" value=\"c5rf\"") == count(page, "<form method=\"post\""));

  const std::string running = dash::render_tasks({.viewer = writer(), .tasks = {task("nightly")}});
  CHECK_FALSE(contains(running, "paused-banner"));
  CHECK(contains(running, "action=\"/ui/pause\""));
  CHECK_FALSE(contains(running, "One-off runs waiting:"));

  dash::Viewer read_only = reader();
  read_only.paused = paused.paused;
  read_only.one_offs = paused.one_offs;
  const std::string for_reader = dash::render_tasks({.viewer = read_only, .tasks = {}});
  CHECK(contains(for_reader, "class=\"paused-banner\""));
  CHECK(contains(for_reader, "One-off runs waiting:"));
  CHECK_FALSE(contains(for_reader, "/ui/"));
}
