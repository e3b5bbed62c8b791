// The dashboard's view models without a server or a browser: runs in words and headline counts,
// strips, sparklines, charts, the timeline's placement, and the escaping of what they carry
// (every template renders values escaped; none uses the unescaped forms).
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "handlers/builtin.hpp"
#include "http/dashboard.hpp"
#include "http/dashboard_charts.hpp"
#include "http/dashboard_model.hpp"
#include "http/web_files.hpp"
#include "support/text.hpp"

namespace dash = maintd::http::dashboard;
namespace store = maintd::store;
using namespace std::chrono;
using maintd::testing::contains;
using maintd::testing::count;

namespace {

const std::string kHostile = "<script>alert(\"x\")</script>&'";

const store::Timestamp kNow = time_point_cast<milliseconds>(sys_days{2026y / 3 / 29} + 12h);

store::RunRecord record(store::RunId id, store::RunStatus status, nlohmann::json result = {}) {
  store::RunRecord run;
  run.id = id;
  run.task_name = "release-claims";
  run.task_type = "claims.release_expired";
  run.trigger = store::Trigger::schedule;
  run.scheduled_for = floor<seconds>(kNow - minutes(10));
  run.status = status;
  run.created_at = kNow - minutes(10);
  run.started_at = kNow - minutes(10);
  run.finished_at = kNow - minutes(10) + milliseconds(1500);
  run.result = std::move(result);
  return run;
}

const maintd::registry::Headline& claims_headline() {
  static const auto registry = maintd::handlers::builtin_registry();
  return *registry.resolve("claims.release_expired").value().handler->headline;
}

dash::RunSummary at(std::int64_t id, std::string status, std::int64_t at_ms,
                    std::optional<double> seconds = std::nullopt) {
  dash::RunSummary run;
  run.id = id;
  run.status = std::move(status);
  run.trigger = "schedule";
  run.scheduled_for = "2026-03-29T01:00:00Z";
  run.at_ms = at_ms;
  run.seconds = seconds;
  return run;
}

dash::Viewer writer() {
  return {.can_write = true, .can_logout = true, .csrf = "c5rf"};
}

}  // namespace

TEST_CASE("dashboard model: a run in words, with its handler's headline count") {
  const auto& headline = claims_headline();
  const auto done = dash::summarize_run(
      record(1, store::RunStatus::completed, {{"released", 3}, {"remaining", 0}}), kNow, 60s,
      &headline);
  CHECK(done.summary == "released 3 claims");
  CHECK(done.headline == 3);
  CHECK(done.seconds == 1.5);
  CHECK(done.duration == "1.5s");
  CHECK(done.at_ms == (kNow - minutes(10)).time_since_epoch().count());

  // A failed run keeps no result: its error says what happened, and it has no count.
  store::RunRecord failed_record = record(2, store::RunStatus::failed);
  failed_record.error = "connection refused";
  const auto failed = dash::summarize_run(failed_record, kNow, 60s, &headline);
  CHECK(failed.summary.empty());
  CHECK_FALSE(failed.headline.has_value());
  CHECK(failed.error == "connection refused");

  // A cancelled run that returned: what it did counts.
  const auto cancelled = dash::summarize_run(
      record(3, store::RunStatus::cancelled, {{"released", 1}}), kNow, 60s, &headline);
  CHECK(cancelled.summary == "released 1 claim");
  CHECK(cancelled.headline == 1);

  // A dry run reads as one.
  store::RunRecord dry_record =
      record(4, store::RunStatus::completed, {{"dry_run", true}, {"would_change", 45}});
  dry_record.dry_run = true;
  const auto dry = dash::summarize_run(dry_record, kNow, 60s, &headline);
  CHECK(dry.summary == "would release 45 claims");
  CHECK(dry.headline == 45);

  // No headline (a handler without one): neither words nor a count, never a guess.
  const auto unknown =
      dash::summarize_run(record(5, store::RunStatus::completed, {{"released", 3}}), kNow, 60s);
  CHECK(unknown.summary.empty());
  CHECK_FALSE(unknown.headline.has_value());

  // A run that never started has no duration to chart.
  store::RunRecord pending = record(6, store::RunStatus::pending);
  pending.started_at.reset();
  pending.finished_at.reset();
  const auto waiting = dash::summarize_run(pending, kNow, 60s, &headline);
  CHECK_FALSE(waiting.seconds.has_value());
  CHECK(waiting.at_ms == pending.created_at.time_since_epoch().count());
}

TEST_CASE("dashboard model: a strip has one mark per run, oldest first, with its hover text") {
  dash::TaskSummary task;
  std::vector<dash::RunSummary> newest_first = {
      at(3, "failed", 3000, 0.5), at(2, "completed", 2000, 1.0), at(1, "running", 1000)};
  newest_first[0].error = "boom\nsecond line";
  newest_first[1].summary = "released 3 claims";
  newest_first[1].duration = "1.0s";
  dash::add_recent_runs(task, newest_first);
  REQUIRE(task.strip.size() == 3);
  CHECK(task.strip[0].id == 1);
  CHECK(task.strip[2].id == 3);
  CHECK(task.strip[0].x == 0);
  CHECK(task.strip[1].x == dash::kStripStep);
  CHECK(task.strip[1].title ==
        "#2 completed · slot 2026-03-29T01:00:00Z · 1.0s · released 3 claims");
  CHECK(task.strip[2].title == "#3 failed · slot 2026-03-29T01:00:00Z · boom");
  // Two durations make a curve; its top is the longest.
  REQUIRE(task.sparkline.has_value());
  CHECK(task.sparkline->points == "2,2 118,11");
  CHECK(task.sparkline->label == "durations of the last 2 runs: 0.5s to 1.0s");

  dash::TaskSummary one;
  dash::add_recent_runs(one, {at(1, "completed", 1000, 1.0)});
  CHECK_FALSE(one.sparkline.has_value());

  auto manual = at(9, "completed", 0);
  manual.scheduled_for.clear();
  manual.trigger = "manual";
  manual.created_at = "2026-03-29T02:00:00Z";
  CHECK(dash::run_title(manual) == "#9 completed · manual, 2026-03-29T02:00:00Z");
}

TEST_CASE("dashboard model: a chart places runs by time and value, leaving out runs without one") {
  const std::vector<dash::RunSummary> runs = {at(1, "completed", 0, 2.0),
                                              at(2, "running", 500),  // no duration yet
                                              at(3, "failed", 1000, 4.0)};
  const auto chart = dash::time_chart(
      "duration", "Duration", runs, [](const dash::RunSummary& run) { return run.seconds; },
      [](double v) { return std::to_string(static_cast<int>(v)) + "s"; }, "nothing");
  REQUIRE(chart.points.size() == 2);
  CHECK(chart.points[0].run_id == 1);
  CHECK(chart.points[0].x == chart.plot_left);
  CHECK(chart.points[1].x == chart.plot_right);
  CHECK(chart.points[1].y == chart.plot_top);  // the longest is the top
  CHECK(chart.points[0].y == doctest::Approx((chart.plot_top + chart.plot_bottom) / 2));
  CHECK(chart.points[1].status == "failed");
  CHECK(chart.y_max == "4s");
  CHECK(chart.y_min == "0s");
  CHECK(chart.x_from == "01-01 00:00");
  CHECK(chart.empty.empty());

  const auto none = dash::time_chart(
      "headline", "Claims released", runs, [](const dash::RunSummary& run) { return run.headline; },
      [](double v) { return std::to_string(v); }, "No run kept a result.");
  CHECK(none.points.empty());
  CHECK(none.empty == "No run kept a result.");
}

TEST_CASE("dashboard model: the timeline places runs in time and merges those that overlap") {
  const std::int64_t hour = 3'600'000;
  dash::TimelineWindow window{.from_ms = 0, .to_ms = 24 * hour, .width = 1440, .min_width = 5};
  CHECK(dash::timeline_x(window, 6 * hour) == 360);

  std::vector<dash::RunSummary> runs = {
      at(1, "completed", 1 * hour, 1.0),
      at(2, "completed", 6 * hour, 600.0),  // 10 minutes: 10 units wide
      at(3, "failed", 6 * hour + 120'000),  // 2 minutes later: inside run 2's mark
      at(4, "completed", 6 * hour + 180'000),
      at(5, "completed", 25 * hour),  // after the window
      at(6, "completed", -1),         // before it
  };
  const auto marks = dash::place_on_timeline(runs, window);
  REQUIRE(marks.size() == 2);
  CHECK(marks[0].run_id == 1);
  CHECK(marks[0].x == 60);
  CHECK(marks[0].width == 5);  // a second is narrower than a mark may be
  CHECK(marks[0].runs == 1);
  CHECK(marks[1].x == 360);
  CHECK(marks[1].width == doctest::Approx(10));
  CHECK(marks[1].runs == 3);
  CHECK(marks[1].status == "failed");  // the worst of them
  CHECK(marks[1].run_id == 4);         // the newest of them
  CHECK(contains(marks[1].title, "3 runs from 06:00 to 06:03: 1 failed, 2 completed"));

  CHECK(dash::status_severity("failed") > dash::status_severity("abandoned"));
  CHECK(dash::status_severity("abandoned") > dash::status_severity("running"));
  CHECK(dash::status_severity("skipped") > dash::status_severity("completed"));
}

TEST_CASE("dashboard model: the overview lists overdue, then failing, then running tasks first") {
  dash::TaskSummary fine;
  fine.last_run = at(1, "completed", 0);
  dash::TaskSummary failing;
  failing.last_run = at(2, "timed_out", 0);
  dash::TaskSummary running;
  running.last_run = at(3, "running", 0);
  dash::TaskSummary overdue;
  overdue.overdue = "no completed run for 3h";
  overdue.last_run = at(4, "failed", 0);
  CHECK(dash::overview_rank(overdue) < dash::overview_rank(failing));
  CHECK(dash::overview_rank(failing) < dash::overview_rank(running));
  CHECK(dash::overview_rank(running) < dash::overview_rank(fine));
  CHECK(dash::overview_rank(dash::TaskSummary{}) == dash::overview_rank(fine));
}

TEST_CASE("dashboard view: marks carry their run and status, and hostile text stays text") {
  dash::TaskSummary task;
  task.name = kHostile;
  task.type = "claims.release_expired";
  task.schedule = "* * * * *";
  auto failed = at(7, "failed", 1000, 1.0);
  failed.error = kHostile;
  auto odd = at(8, kHostile, 2000, 2.0);
  odd.summary = kHostile;
  dash::add_recent_runs(task, {odd, failed});
  task.last_run = odd;

  const std::string list = dash::render_tasks({.viewer = writer(), .tasks = {task}});
  CHECK(contains(list, "<rect class=\"mark failed\" data-run-id=\"7\" data-status=\"failed\""));
  CHECK(
      contains(list, "<rect class=\"mark other\" data-run-id=\"8\" data-status=\"&lt;script&gt;"));
  CHECK(count(list, "<rect class=\"mark") == 2);
  CHECK(contains(list, "<div class=\"words\">&lt;script&gt;alert(&quot;x&quot;)"));
  CHECK_FALSE(contains(list, "<script>"));
  CHECK_FALSE(contains(list, "alert(\""));
  CHECK(contains(list, "<svg class=\"spark\" data-chart=\"sparkline\""));

  dash::TaskPage page{.viewer = writer(), .task = task};
  page.charts.push_back(dash::time_chart(
      "duration", kHostile, {failed, odd}, [](const dash::RunSummary& run) { return run.seconds; },
      [](double) { return kHostile; }, ""));
  const std::string detail = dash::render_task(page);
  CHECK(contains(detail, "<figure class=\"chart\" data-chart=\"duration\">"));
  CHECK(count(detail, "<circle class=\"mark") == 2);
  CHECK_FALSE(contains(detail, "<script>"));

  dash::OverviewPage overview{.viewer = writer()};
  dash::TimelineRow row{.name = kHostile, .overdue = false, .failing = true, .note = kHostile};
  row.marks = dash::place_on_timeline({failed, odd}, {.from_ms = 0, .to_ms = 86'400'000});
  overview.rows.push_back(row);
  overview.axis = {kHostile};
  const std::string timeline = dash::render_overview(overview);
  CHECK(contains(timeline, "data-task=\"&lt;script&gt;"));
  CHECK(contains(timeline, "data-runs=\"2\""));
  CHECK_FALSE(contains(timeline, "<script>"));
  CHECK(count(timeline, "<script") == 1);  // the page's own, from /assets/
}

TEST_CASE("dashboard view: every template escapes: none uses {{{ }}} or {{& }}") {
  std::size_t templates = 0;
  for (const auto& file : maintd::http::web::embedded_files()) {
    if (!file.name.starts_with("templates/")) continue;
    ++templates;
    CAPTURE(file.name);
    CHECK(file.content.find("{{{") == std::string_view::npos);
    CHECK(file.content.find("{{&") == std::string_view::npos);
    CHECK(file.content.find("{{=") == std::string_view::npos);  // no other delimiters either
  }
  CHECK(templates > 10);
  CHECK(maintd::http::web::find_embedded_file("dashboard.css") != nullptr);
  CHECK(maintd::http::web::find_embedded_file("dashboard.js") != nullptr);
  CHECK(maintd::http::web::find_embedded_file("nope.css") == nullptr);
}

TEST_CASE("dashboard view: the summary line counts every task, not one page") {
  CHECK(
      dash::counts_text(
          {.tasks = 1000, .enabled = 990, .running = 3, .failing = 2, .stale = 1, .overdue = 4}) ==
      "1000 tasks, 990 enabled · 3 running · 2 failing · 1 stale · 4 overdue");
  dash::TasksPage page{.viewer = writer()};
  page.counts = dash::TaskCounts{.tasks = 1000, .enabled = 1000};
  page.pager = dash::Pager{
      .previous_href = "/?page=1", .next_href = "/?page=3", .text = "tasks 101-200 of 1,000"};
  page.tasks.push_back({.name = "only-this-one"});
  const std::string html = dash::render_tasks(page);
  CHECK(contains(html, "1000 tasks, 1000 enabled"));
  CHECK(contains(html, "<a href=\"/?page=1\" rel=\"prev\">"));
  CHECK(contains(html, "<a href=\"/?page=3\" rel=\"next\">"));
  CHECK(contains(html, "tasks 101-200 of 1,000"));
}
