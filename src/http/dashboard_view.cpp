// The dashboard's pages (dashboard_view.hpp): each model turned into the context of its
// template (http/web/templates), which mstch renders with every value escaped. Nothing here
// writes markup: the words and numbers a page shows are computed here, the tags are the
// templates'.
#include "http/dashboard_view.hpp"

#include <fmt/format.h>

#include <string_view>

#include "http/html.hpp"
#include "http/templates.hpp"

namespace maintd::http::dashboard {
namespace {

using mstch::array;
using mstch::map;

// How often a live page asks for its changes (dashboard.js).
constexpr int kRefreshMs = 5000;

// Status names the stylesheet knows; anything else gets the plain badge and mark.
std::string status_class(const std::string& status) {
  for (std::string_view known : {"pending", "running", "completed", "failed", "timed_out",
                                 "cancelled", "abandoned", "skipped"}) {
    if (status == known) return status;
  }
  return "other";
}

// A coordinate as an SVG attribute: "12", "12.5".
std::string number(double value) {
  std::string text = fmt::format("{:.1f}", value);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text;
}

std::string dash_if_empty(const std::string& text) {
  return text.empty() ? "-" : text;
}

// The first line of an error, at most 160 characters: a cell shows that much.
std::string short_error(const std::string& error) {
  std::string text = error.substr(0, error.find('\n'));
  if (text.size() > 160) text = text.substr(0, 157) + "...";
  return text;
}

// What every page's layout (head, top, foot) reads.
map layout(std::string title, const Viewer& viewer, const std::optional<Flash>& flash,
           const std::string& generated_at, bool live, std::string_view nav) {
  map out{
      {"title", std::move(title)},
      {"viewer", map{{"can_write", viewer.can_write},
                     {"can_logout", viewer.can_logout},
                     {"csrf", viewer.csrf},
                     {"is_paused", !viewer.paused.empty()},
                     {"paused", viewer.paused}}},
      {"generated_at", generated_at},
      {"live", live},
      {"refresh_ms", std::to_string(kRefreshMs)},
      {"css_href", templates::asset_href("dashboard.css")},
      {"nav_tasks", nav == "tasks"},
      {"nav_overview", nav == "overview"},
  };
  if (live) out["js_href"] = templates::asset_href("dashboard.js");
  array one_offs;
  for (const WaitingRun& run : viewer.one_offs) {
    one_offs.push_back(map{{"id", std::to_string(run.id)},
                           {"href", run_href(run.id)},
                           {"task", run.task},
                           {"due_at", run.due_at}});
  }
  out["has_one_offs"] = !one_offs.empty();
  out["one_offs"] = std::move(one_offs);
  if (flash) {
    const bool ok = flash->kind == Flash::Kind::ok;
    out["flash"] = map{{"kind", std::string(ok ? "ok" : "error")},
                       {"role", std::string(ok ? "status" : "alert")},
                       {"text", flash->text}};
  }
  return out;
}

map run_node(const RunSummary& run) {
  return map{
      {"id", std::to_string(run.id)},
      {"href", run_href(run.id)},
      {"status", run.status},
      {"status_class", status_class(run.status)},
      {"trigger", run.trigger},
      {"retried", run.attempt > 1},
      {"attempt", std::to_string(run.attempt)},
      {"dry_run", run.dry_run},
      {"stale", run.stale},
      {"stale_reason",
       std::string(run.status == "abandoned" ? "its lease expired: the process died or hung"
                                             : "no heartbeat within the lease")},
      {"cancellable", run.status == "running" || run.status == "pending"},
      {"scheduled_for_text", dash_if_empty(run.scheduled_for)},
      {"created_text", dash_if_empty(run.created_at)},
      {"started_text", dash_if_empty(run.started_at)},
      {"finished_text", dash_if_empty(run.finished_at)},
      {"heartbeat_text", dash_if_empty(run.heartbeat_at)},
      {"duration_text", dash_if_empty(run.duration)},
      {"duration", run.duration},
      {"host_text", dash_if_empty(run.host)},
      {"when", !run.finished_at.empty()  ? run.finished_at
               : !run.started_at.empty() ? run.started_at
                                         : run.created_at},
      {"summary", run.summary},
      {"error", run.error},
      {"short_error", short_error(run.error)},
  };
}

map sparkline_node(const Sparkline& spark) {
  return map{{"width", number(spark.width)},   {"height", number(spark.height)},
             {"points", spark.points},         {"last_x", number(spark.last_x)},
             {"last_y", number(spark.last_y)}, {"label", spark.label}};
}

// A task's own fields, as every template that shows a task reads them.
map task_node(const TaskSummary& task) {
  const bool stale = task.last_run && task.last_run->stale;
  array policies;
  for (const auto& [name, value] : task.policies) {
    policies.push_back(map{{"name", name}, {"value", value}});
  }
  array strip;
  for (const RunMark& mark : task.strip) {
    strip.push_back(map{{"id", std::to_string(mark.id)},
                        {"href", run_href(mark.id)},
                        {"status", mark.status},
                        {"status_class", status_class(mark.status)},
                        {"x", number(mark.x)},
                        {"title", mark.title}});
  }
  const double strip_width = task.strip.empty() ? 0 : task.strip.back().x + 5;
  map out{
      {"name", task.name},
      {"href", task_href(task.name)},
      {"url_name", html::url_encode(task.name)},
      {"type", task.type},
      {"description", task.description},
      {"schedule", task.schedule},
      {"timezone", task.timezone},
      {"explanation", task.explanation},
      {"origin", task.origin},
      {"enabled", task.enabled},
      {"dry_run", task.dry_run},
      {"defined", task.defined},
      {"next_slot", task.next_slot},
      {"next_slot_in", task.next_slot_in},
      {"stale", stale},
      {"overdue", task.overdue.has_value()},
      {"overdue_text", task.overdue.value_or("")},
      {"policies", std::move(policies)},
      {"has_strip", !task.strip.empty()},
      {"strip", std::move(strip)},
      {"strip_width", number(strip_width)},
      {"strip_count", std::to_string(task.strip.size())},
  };
  out["last_run"] = task.last_run ? mstch::node(run_node(*task.last_run)) : mstch::node(false);
  out["sparkline"] =
      task.sparkline ? mstch::node(sparkline_node(*task.sparkline)) : mstch::node(false);
  return out;
}

map pager_node(const std::optional<Pager>& pager) {
  if (!pager) return {};
  return map{{"has_previous", !pager->previous_href.empty()},
             {"previous_href", pager->previous_href},
             {"has_next", !pager->next_href.empty()},
             {"next_href", pager->next_href},
             {"text", pager->text}};
}

map tasks_context(const TasksPage& page) {
  map out = layout("Tasks", page.viewer, page.flash, page.generated_at, true, "tasks");
  array tasks;
  for (const TaskSummary& task : page.tasks) tasks.push_back(task_node(task));
  out["tasks"] = std::move(tasks);
  out["no_tasks"] = page.tasks.empty();
  out["summary"] = counts_text(page.counts.value_or(count_tasks(page.tasks)));
  out["strip_size"] = std::to_string(page.strip_size);
  out["return_to"] = std::string("/");
  if (page.pager) out["pager"] = pager_node(page.pager);
  return out;
}

map chart_node(const Chart& chart) {
  array points;
  for (const ChartPoint& point : chart.points) {
    points.push_back(map{{"run_id", std::to_string(point.run_id)},
                         {"href", run_href(point.run_id)},
                         {"status", point.status},
                         {"status_class", status_class(point.status)},
                         {"x", number(point.x)},
                         {"y", number(point.y)},
                         {"title", point.title}});
  }
  return map{
      {"name", chart.name},
      {"title", chart.title},
      {"empty", chart.empty},
      {"width", number(chart.width)},
      {"height", number(chart.height)},
      {"plot_left", number(chart.plot_left)},
      {"plot_right", number(chart.plot_right)},
      {"plot_top", number(chart.plot_top)},
      {"plot_bottom", number(chart.plot_bottom)},
      {"label_x", number(chart.plot_left - 6)},
      {"y_max_y", number(chart.plot_top + 10)},
      {"x_label_y", number(chart.plot_bottom + 16)},
      {"y_max", chart.y_max},
      {"y_min", chart.y_min},
      {"x_from", chart.x_from},
      {"x_to", chart.x_to},
      {"line", chart.line},
      {"point_count", std::to_string(chart.points.size())},
      {"points", std::move(points)},
  };
}

array choices(const std::vector<Choice>& options) {
  array out;
  for (const Choice& choice : options) {
    out.push_back(
        map{{"value", choice.value}, {"label", choice.label}, {"selected", choice.selected}});
  }
  return out;
}

map event_node(const EventLine& event) {
  return map{
      {"at", event.at}, {"level", event.level}, {"event", event.event}, {"message", event.message}};
}

map task_context(const TaskPage& page) {
  map out = task_node(page.task);
  map base = layout(page.task.name, page.viewer, page.flash, page.generated_at, true, "tasks");
  for (auto& [key, value] : base) out[key] = value;
  const std::string here = task_href(page.task.name);
  out["here"] = here;
  out["return_to"] = here;
  array runs;
  for (const RunWithEvents& entry : page.runs) {
    map run = run_node(entry.run);
    array events;
    for (const EventLine& event : entry.events) events.push_back(event_node(event));
    const std::size_t total = entry.events.size() + entry.events_omitted;
    run["events"] = std::move(events);
    run["no_events"] = entry.events.empty();
    run["event_count"] = fmt::format("{} event{}", total, total == 1 ? "" : "s");
    run["events_omitted"] = static_cast<int>(entry.events_omitted);
    runs.push_back(std::move(run));
  }
  out["runs"] = std::move(runs);
  out["no_runs"] = page.runs.empty();
  out["older_href"] = page.older_href;
  array charts;
  for (const Chart& chart : page.charts) charts.push_back(chart_node(chart));
  out["charts"] = std::move(charts);
  out["filters"] = map{{"statuses", choices(page.filters.statuses)},
                       {"triggers", choices(page.filters.triggers)},
                       {"periods", choices(page.filters.periods)},
                       {"active", page.filters.active}};
  if (page.filters.statuses.empty()) out["filters"] = false;
  return out;
}

map run_context(const RunPage& page) {
  map out = layout(fmt::format("Run {}", page.run.id), page.viewer, page.flash, page.generated_at,
                   true, "");
  for (auto& [key, value] : run_node(page.run)) out[key] = value;
  out["task_name"] = page.task_name;
  out["task_href"] = task_href(page.task_name);
  out["return_to"] = run_href(page.run.id);
  array events;
  for (const EventLine& event : page.events) events.push_back(event_node(event));
  out["events"] = std::move(events);
  out["no_events"] = page.events.empty();
  return out;
}

map overview_context(const OverviewPage& page) {
  map out =
      layout("The last 24 hours", page.viewer, page.flash, page.generated_at, true, "overview");
  out["summary"] = counts_text(page.counts);
  out["lane_width"] = number(page.lane_width);
  out["now_x"] = number(page.now_x);
  out["from"] = page.from;
  out["to"] = page.to;
  array axis;
  for (const auto& label : page.axis) axis.push_back(label);
  out["axis"] = std::move(axis);
  array hour_lines;
  for (double x : page.hour_lines) hour_lines.push_back(number(x));
  out["hour_lines"] = std::move(hour_lines);
  array rows;
  for (const TimelineRow& row : page.rows) {
    array marks;
    for (const TimelineMark& mark : row.marks) {
      marks.push_back(map{{"run_id", std::to_string(mark.run_id)},
                          {"href", run_href(mark.run_id)},
                          {"status", mark.status},
                          {"status_class", status_class(mark.status)},
                          {"x", number(mark.x)},
                          {"width", number(mark.width)},
                          {"runs", std::to_string(mark.runs)},
                          {"title", mark.title}});
    }
    rows.push_back(map{{"name", row.name},
                       {"href", task_href(row.name)},
                       {"overdue", row.overdue},
                       {"failing", row.failing},
                       {"note", row.note},
                       {"marks", std::move(marks)}});
  }
  out["rows"] = std::move(rows);
  out["no_rows"] = page.rows.empty();
  if (page.pager) out["pager"] = pager_node(page.pager);
  return out;
}

}  // namespace

std::string task_href(const std::string& name) {
  return "/tasks/" + html::url_encode(name);
}
std::string run_href(std::int64_t id) {
  return "/runs/" + std::to_string(id);
}

std::string format_distance(std::chrono::seconds distance) {
  long long s = distance.count();
  if (s < 0) s = -s;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86400) {
    return s % 3600 / 60 == 0 ? fmt::format("{}h", s / 3600)
                              : fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  }
  return s % 86400 / 3600 == 0 ? fmt::format("{}d", s / 86400)
                               : fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

TaskCounts count_tasks(const std::vector<TaskSummary>& tasks) {
  TaskCounts counts;
  counts.tasks = tasks.size();
  for (const TaskSummary& task : tasks) {
    if (task.enabled) ++counts.enabled;
    if (task.overdue) ++counts.overdue;
    if (!task.last_run) continue;
    if (task.last_run->stale) ++counts.stale;
    if (task.last_run->status == "running") ++counts.running;
    if (task.last_run->status == "failed" || task.last_run->status == "timed_out") {
      ++counts.failing;
    }
  }
  return counts;
}

std::string counts_text(const TaskCounts& counts) {
  return fmt::format("{} task{}, {} enabled · {} running · {} failing · {} stale · {} overdue",
                     counts.tasks, counts.tasks == 1 ? "" : "s", counts.enabled, counts.running,
                     counts.failing, counts.stale, counts.overdue);
}

std::string render_tasks(const TasksPage& page) {
  return templates::render("tasks", tasks_context(page));
}
std::string render_tasks_live(const TasksPage& page) {
  return templates::render("tasks_live", tasks_context(page));
}
std::string render_task(const TaskPage& page) {
  return templates::render("task", task_context(page));
}
std::string render_task_live(const TaskPage& page) {
  return templates::render("task_live", task_context(page));
}
std::string render_run(const RunPage& page) {
  return templates::render("run", run_context(page));
}
std::string render_run_live(const RunPage& page) {
  return templates::render("run_live", run_context(page));
}
std::string render_overview(const OverviewPage& page) {
  return templates::render("overview", overview_context(page));
}
std::string render_overview_live(const OverviewPage& page) {
  return templates::render("overview_live", overview_context(page));
}

std::string render_login(const LoginPage& page) {
  map context = layout("Log in", {}, std::nullopt, "", false, "");
  context["error"] = page.error;
  return templates::render("login", context);
}

std::string render_message(const MessagePage& page) {
  map context = layout(page.title, {}, std::nullopt, "", false, "");
  context["message"] = page.message;
  context["back_href"] = page.back_href;
  context["back_text"] = page.back_text;
  return templates::render("message", context);
}

}  // namespace maintd::http::dashboard
