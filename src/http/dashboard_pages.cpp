// The dashboard's pages (GET /, /tasks/{name}, /runs/{id}, /overview): their models built from
// the service, and either the whole page or, for the script, its live part (dashboard_pages.hpp).
#include "http/dashboard_pages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common/duration.hpp"
#include "http/dashboard_charts.hpp"
#include "http/dashboard_model.hpp"
#include "http/dashboard_session.hpp"
#include "http/html.hpp"
#include "service/service.hpp"

namespace maintd::http::dashboard {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kRunsPerPage = 25;
constexpr std::size_t kEventsPerRunOnTaskPage = 50;
constexpr int kEventsOnRunPage = 5000;
// The runs a task's strip shows, and those its page's charts draw.
constexpr int kStripRuns = 50;
constexpr int kChartRuns = 200;
// Tasks per page of the list and of the overview (?per_page= up to kMaxPerPage): a page reads the
// runs of its own tasks only, so that 100,000 tasks cost what 100 do (docs/benchmarks.md).
constexpr std::size_t kTasksPerPage = 100;
constexpr std::size_t kMaxPerPage = 1000;
// At most this many runs a task in the overview's 24 hours (one a minute is 1,440): marks closer
// than a few pixels merge anyway.
constexpr int kTimelineRunsPerTask = 500;

// The parts every page has, and the headers the answer needs.
struct PageStart {
  std::vector<std::string> set_cookies;
  Response flash_holder;
  std::optional<Flash> flash;
  Viewer viewer;
};

// The one-off runs the top of a page lists at most.
constexpr std::size_t kWaitingShown = 10;

PageStart start_page(const Request& request, service::Service& service) {
  PageStart start;
  // The live part shows no flash: the page it belongs to has taken it already.
  if (!is_live_request(request)) start.flash = take_flash(request, start.flash_holder);
  start.viewer = viewer_for(request, start.set_cookies);
  // As the daemon last read them (no query per page: at most heartbeat_interval old, and at
  // once after a pause, resume or one-off run through the service).
  if (const auto pause = service.pause_as_seen()) {
    start.viewer.paused = service::describe_pause(*pause);
  }
  for (const auto& run : service.one_offs_as_seen()) {
    if (start.viewer.one_offs.size() == kWaitingShown) break;
    start.viewer.one_offs.push_back(
        {run.id, run.task_name, run.due_at ? format_utc(*run.due_at) : std::string("-")});
  }
  return start;
}

// The whole page, or for the script its live part alone.
Response answer(const Request& request, PageStart& start, const std::function<std::string()>& whole,
                const std::function<std::string()>& live) {
  Response response = is_live_request(request) ? live_part(request, live()) : page(200, whole());
  for (auto& header : start.flash_holder.headers) response.headers.push_back(std::move(header));
  return finish_page(std::move(response), start.set_cookies);
}

// ?page= and ?per_page=, 1-based; a refusal page when they are not numbers in range.
struct Paging {
  std::size_t page = 1;
  std::size_t per_page = kTasksPerPage;
};

std::optional<std::size_t> positive(const std::optional<std::string>& text, std::size_t max) {
  if (!text) return std::nullopt;
  if (text->empty() || text->size() > 9 ||
      !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  const std::size_t value = std::stoul(*text);
  return value > max ? 0 : value;
}

Expected<Paging, Response> paging(const Request& request) {
  Paging out;
  if (auto value = positive(request.query_value("page"), 10'000'000)) {
    if (*value == 0) {
      return Unexpected(message(400, "Bad request", "page= must be a page number (1, 2, ...)"));
    }
    out.page = *value;
  }
  if (auto value = positive(request.query_value("per_page"), kMaxPerPage)) {
    if (*value == 0) {
      return Unexpected(message(
          400, "Bad request", fmt::format("per_page= must be a number from 1 to {}", kMaxPerPage)));
    }
    out.per_page = *value;
  }
  return out;
}

// The pager of a list of `total` items: "tasks 101-200 of 1,000", links keeping per_page.
std::optional<Pager> pager(const std::string& path, const Paging& paging, std::size_t total,
                           std::string_view noun) {
  if (total <= paging.per_page && paging.page == 1) return std::nullopt;
  const auto href = [&](std::size_t page) {
    std::string out = path + "?page=" + std::to_string(page);
    if (paging.per_page != kTasksPerPage) out += "&per_page=" + std::to_string(paging.per_page);
    return out;
  };
  Pager out;
  const std::size_t first = (paging.page - 1) * paging.per_page;
  const std::size_t last = std::min(total, first + paging.per_page);
  out.text = first >= total ? fmt::format("no {} on this page ({} in all)", noun, total)
                            : fmt::format("{} {}-{} of {}", noun, first + 1, last, total);
  if (paging.page > 1) out.previous_href = href(paging.page - 1);
  if (last < total) out.next_href = href(paging.page + 1);
  return out;
}

// The counts of the summary line, over every task (one query for all their last runs).
TaskCounts count_all(const tasks::TaskSet& tasks,
                     const std::map<std::string, service::RunRecord>& latest,
                     const std::map<std::string, scheduler::OverdueTask>& overdue,
                     service::Timestamp now, seconds lease) {
  TaskCounts counts;
  counts.tasks = tasks.size();
  for (const auto& task : tasks) {
    if (task.enabled) ++counts.enabled;
    if (overdue.contains(task.name)) ++counts.overdue;
    const auto it = latest.find(task.name);
    if (it == latest.end()) continue;
    const auto status = it->second.status;
    if (status == service::RunStatus::running) ++counts.running;
    if (status == service::RunStatus::failed || status == service::RunStatus::timed_out) {
      ++counts.failing;
    }
    if (is_stale(it->second, now, lease)) ++counts.stale;
  }
  return counts;
}

// What the list and the overview read of every task: the task set, each task's last run (one
// query), which are overdue, and the summary line's counts.
struct AllTasks {
  Instant now;
  service::Timestamp now_ms;
  seconds lease;
  std::shared_ptr<const tasks::TaskSet> tasks;
  std::map<std::string, service::RunRecord> latest;
  std::map<std::string, scheduler::OverdueTask> overdue;
  TaskCounts counts;
};

AllTasks read_all_tasks(service::Service& service) {
  AllTasks all{.now = now_instant(),
               .now_ms = now_stamp(),
               .lease = lease_of(service),
               .tasks = service.tasks(),
               .latest = service.latest_runs(true),
               .overdue = {},
               .counts = {}};
  for (auto& task : service.overdue()) all.overdue.emplace(task.task, task);
  all.counts = count_all(*all.tasks, all.latest, all.overdue, all.now_ms, all.lease);
  return all;
}

// The range of `total` items that page `paging.page` shows: [first, last).
std::pair<std::size_t, std::size_t> page_range(const Paging& paging, std::size_t total) {
  const std::size_t first = std::min(total, (paging.page - 1) * paging.per_page);
  return {first, std::min(total, first + paging.per_page)};
}

// `runs` as the pages show them.
std::vector<RunSummary> summarize_runs(const std::vector<service::RunRecord>& runs,
                                       const AllTasks& all, Headlines& headlines) {
  std::vector<RunSummary> out;
  out.reserve(runs.size());
  for (const auto& run : runs) {
    out.push_back(summarize_run(run, all.now_ms, all.lease, headlines.of(run.task_type)));
  }
  return out;
}

// A task of the page with what the list shows of it: its last run and its strip.
TaskSummary task_with_runs(const config::Task& task, service::Service& service, const AllTasks& all,
                           Headlines& headlines,
                           const std::map<std::string, std::vector<service::RunRecord>>& recent) {
  TaskSummary summary = summarize_task(task, service, all.now);
  if (auto it = all.latest.find(task.name); it != all.latest.end()) {
    summary.last_run =
        summarize_run(it->second, all.now_ms, all.lease, headlines.of(it->second.task_type));
  }
  if (auto it = all.overdue.find(task.name); it != all.overdue.end()) {
    summary.overdue = overdue_text(it->second, all.now);
  }
  if (auto it = recent.find(task.name); it != recent.end()) {
    add_recent_runs(summary, summarize_runs(it->second, all, headlines));
  }
  return summary;
}

// ---- the task list ----

Response tasks_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const auto pages = paging(request);
  if (!pages) return pages.error();
  PageStart start = start_page(request, service);
  TasksPage model;
  model.flash = start.flash;
  model.viewer = start.viewer;
  model.strip_size = kStripRuns;
  const AllTasks all = read_all_tasks(service);
  model.counts = all.counts;
  const auto [first, last] = page_range(pages.value(), all.tasks->size());
  std::vector<std::string> names;
  for (std::size_t i = first; i < last; ++i) names.push_back((*all.tasks)[i].name);
  const auto recent = service.recent_runs(names, kStripRuns);
  Headlines headlines(service);
  model.tasks.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) {
    model.tasks.push_back(task_with_runs((*all.tasks)[i], service, all, headlines, recent));
  }
  model.pager = pager("/", pages.value(), all.tasks->size(), "tasks");
  model.generated_at = format_utc(all.now);
  return answer(
      request, start, [&] { return render_tasks(model); },
      [&] { return render_tasks_live(model); });
}

// ---- a task ----

std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

struct Period {
  const char* value;
  const char* label;
  std::chrono::hours length;
};
constexpr Period kPeriods[] = {{"1h", "last hour", hours(1)},
                               {"24h", "last 24 hours", hours(24)},
                               {"7d", "last 7 days", hours(24 * 7)},
                               {"30d", "last 30 days", hours(24 * 30)}};

// The task page's filters from its query: the history filter, the form's choices, and the
// query to keep in its links; a refusal page for a value that is none of the choices.
struct TaskQuery {
  service::HistoryFilter filter;
  RunFilters form;
  std::string query;  // "status=failed&" (ready for more), "" without filters
};

Expected<TaskQuery, Response> task_query(const Request& request, const std::string& name,
                                         service::Timestamp now) {
  TaskQuery out;
  out.filter.task = name;
  const auto status = request.query_value("status").value_or("");
  const auto trigger = request.query_value("trigger").value_or("");
  const auto since = request.query_value("since").value_or("");
  out.form.statuses.push_back({"", "any status", status.empty()});
  for (auto s :
       {service::RunStatus::completed, service::RunStatus::failed, service::RunStatus::timed_out,
        service::RunStatus::running, service::RunStatus::pending, service::RunStatus::cancelled,
        service::RunStatus::abandoned, service::RunStatus::skipped}) {
    const std::string text(service::to_string(s));
    out.form.statuses.push_back({text, text, text == status});
  }
  out.form.triggers.push_back({"", "any trigger", trigger.empty()});
  for (auto t : {service::Trigger::schedule, service::Trigger::manual, service::Trigger::catchup,
                 service::Trigger::retry, service::Trigger::once}) {
    const std::string text(service::to_string(t));
    out.form.triggers.push_back({text, text, text == trigger});
  }
  out.form.periods.push_back({"", "all time", since.empty()});
  for (const Period& period : kPeriods) {
    out.form.periods.push_back({period.value, period.label, since == period.value});
  }
  if (!status.empty()) {
    out.filter.status = service::parse_run_status(status);
    if (!out.filter.status) {
      return Unexpected(message(400, "Bad request",
                                fmt::format("status= '{}' is not a run status (completed, failed, "
                                            "timed_out, running, pending, cancelled, abandoned, "
                                            "skipped)",
                                            status),
                                task_href(name), "Back to the task"));
    }
    out.query += "status=" + html::url_encode(status) + "&";
  }
  if (!trigger.empty()) {
    out.filter.trigger = service::parse_trigger(trigger);
    if (!out.filter.trigger) {
      return Unexpected(message(
          400, "Bad request",
          fmt::format("trigger= '{}' is not a trigger (schedule, manual, catchup, retry)", trigger),
          task_href(name), "Back to the task"));
    }
    out.query += "trigger=" + html::url_encode(trigger) + "&";
  }
  if (!since.empty()) {
    const Period* period = nullptr;
    for (const Period& p : kPeriods) {
      if (since == p.value) period = &p;
    }
    if (period == nullptr) {
      return Unexpected(message(
          400, "Bad request", fmt::format("since= '{}' is not a period (1h, 24h, 7d, 30d)", since),
          task_href(name), "Back to the task"));
    }
    out.filter.since = now - period->length;
    out.query += "since=" + html::url_encode(since) + "&";
  }
  out.form.active = !out.query.empty();
  return out;
}

std::string seconds_text(double value) {
  return format_run_duration(milliseconds(static_cast<long long>(value * 1000)));
}

std::vector<Chart> task_charts(const std::vector<RunSummary>& oldest_first,
                               const registry::Headline* headline) {
  std::vector<Chart> charts;
  charts.push_back(time_chart(
      "duration", "Duration", oldest_first, [](const RunSummary& run) { return run.seconds; },
      seconds_text, "No run in this selection has started."));
  charts.push_back(time_chart(
      "headline", headline != nullptr ? capitalized(headline->label) : "Headline count",
      oldest_first, [](const RunSummary& run) { return run.headline; },
      [](double value) { return registry::count_text(value); },
      headline != nullptr ? "No run in this selection kept a result."
                          : "This task's handler declares no headline count."));
  return charts;
}

Response task_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const std::string& name = request.param("name");
  std::optional<service::RunId> before;
  if (auto text = request.query_value("before")) {
    before = parse_run_id(*text);
    if (!before) return message(400, "Bad request", "before= must be a run id");
  }
  const service::Timestamp now_ms = now_stamp();
  auto query = task_query(request, name, now_ms);
  if (!query) return query.error();
  const auto tasks = service.tasks();
  const config::Task* task = tasks->find(name);
  service::HistoryFilter filter = query.value().filter;
  filter.before_id = before;
  const service::HistoryPage history = service.history(filter, kRunsPerPage);
  const auto& runs = history.runs;
  if (task == nullptr && runs.empty() && !before && !query.value().form.active) {
    return message(404, "No such task", fmt::format("There is no task '{}'.", name));
  }
  PageStart start = start_page(request, service);
  TaskPage model;
  model.flash = start.flash;
  model.viewer = start.viewer;
  model.filters = query.value().form;
  const Instant now = now_instant();
  const seconds lease = lease_of(service);
  Headlines headlines(service);
  if (task != nullptr) {
    model.task = summarize_task(*task, service, now);
    for (const auto& overdue : service.overdue()) {
      if (overdue.task == name) model.task.overdue = overdue_text(overdue, now);
    }
    // Its last run that was not a skipped slot, as the list shows it.
    for (const auto& run : service.history({.task = name}, 20).runs) {
      if (run.status == service::RunStatus::skipped) continue;
      model.task.last_run = summarize_run(run, now_ms, lease, headlines.of(run.task_type));
      break;
    }
  } else {
    model.task.name = name;
    model.task.defined = false;
  }
  for (const auto& run : runs) {
    RunWithEvents entry;
    entry.run = summarize_run(run, now_ms, lease, headlines.of(run.task_type));
    const auto events = service.events(run.id);
    const std::size_t shown = std::min(events.size(), kEventsPerRunOnTaskPage);
    entry.events.reserve(shown);
    for (std::size_t i = 0; i < shown; ++i) entry.events.push_back(event_line(events[i]));
    entry.events_omitted = events.size() - shown;
    model.runs.push_back(std::move(entry));
  }
  if (history.next_cursor) {
    model.older_href = task_href(name) + "?" + query.value().query +
                       "before=" + std::to_string(*history.next_cursor);
  }
  // The charts: the newest kChartRuns runs the filters select (not only this page's 25).
  std::vector<RunSummary> charted;
  const auto chart_runs = service.history(query.value().filter, kChartRuns).runs;
  for (auto it = chart_runs.rbegin(); it != chart_runs.rend(); ++it) {
    charted.push_back(summarize_run(*it, now_ms, lease, headlines.of(it->task_type)));
  }
  const registry::Headline* headline =
      task != nullptr ? headlines.of(task->type)
                      : (runs.empty() ? nullptr : headlines.of(runs.front().task_type));
  model.charts = task_charts(charted, headline);
  model.generated_at = format_utc(now);
  return answer(
      request, start, [&] { return render_task(model); }, [&] { return render_task_live(model); });
}

// ---- a run ----

Response run_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const auto id = parse_run_id(request.param("id"));
  const auto run = id ? service.run(*id) : std::nullopt;
  if (!run) {
    return message(404, "No such run", fmt::format("There is no run '{}'.", request.param("id")));
  }
  PageStart start = start_page(request, service);
  RunPage model;
  model.flash = start.flash;
  model.viewer = start.viewer;
  model.task_name = run->task_name;
  Headlines headlines(service);
  model.run = summarize_run(*run, now_stamp(), lease_of(service), headlines.of(run->task_type));
  const auto events = service.events(run->id);
  const std::size_t shown = std::min(events.size(), static_cast<std::size_t>(kEventsOnRunPage));
  for (std::size_t i = 0; i < shown; ++i) model.events.push_back(event_line(events[i]));
  model.generated_at = format_utc(now_instant());
  return answer(
      request, start, [&] { return render_run(model); }, [&] { return render_run_live(model); });
}

// ---- the last 24 hours ----

Response overview_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const auto pages = paging(request);
  if (!pages) return pages.error();
  PageStart start = start_page(request, service);
  OverviewPage model;
  model.flash = start.flash;
  model.viewer = start.viewer;
  const AllTasks all = read_all_tasks(service);
  model.counts = all.counts;

  // The axis: 24 whole hours ending with the current one, so that its lines fall on the hour.
  const Instant to = std::chrono::floor<hours>(all.now) + hours(1);
  const Instant from = to - hours(24);
  TimelineWindow window;
  window.from_ms = std::chrono::duration_cast<milliseconds>(from.time_since_epoch()).count();
  window.to_ms = std::chrono::duration_cast<milliseconds>(to.time_since_epoch()).count();
  window.width = model.lane_width;
  model.from = format_utc(from);
  model.to = format_utc(to);
  model.now_x = timeline_x(window, all.now_ms.time_since_epoch().count());
  for (int i = 0; i < 8; ++i) {
    model.axis.push_back(format_utc(from + hours(3 * i)).substr(11, 5));
    if (i > 0) model.hour_lines.push_back(window.width * i / 8.0);
  }

  // Every task ranked (overdue, failing, running, the rest; configuration order within each),
  // then this page's share of them read.
  std::vector<std::pair<int, std::size_t>> order;
  order.reserve(all.tasks->size());
  for (std::size_t i = 0; i < all.tasks->size(); ++i) {
    const auto& task = (*all.tasks)[i];
    TaskSummary brief;
    if (all.overdue.contains(task.name)) brief.overdue = "";
    if (auto it = all.latest.find(task.name); it != all.latest.end()) {
      brief.last_run = RunSummary{};
      brief.last_run->status = std::string(service::to_string(it->second.status));
    }
    order.emplace_back(overview_rank(brief), i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto [first, last] = page_range(pages.value(), order.size());
  std::vector<std::string> names;
  for (std::size_t i = first; i < last; ++i) names.push_back((*all.tasks)[order[i].second].name);
  const auto recent = service.recent_runs(names, kTimelineRunsPerTask,
                                          service::Timestamp(milliseconds(window.from_ms)));
  Headlines headlines(service);
  for (std::size_t i = first; i < last; ++i) {
    const auto& task = (*all.tasks)[order[i].second];
    TimelineRow row;
    row.name = task.name;
    row.overdue = order[i].first == 0;
    row.failing = order[i].first == 1;
    if (auto it = all.overdue.find(task.name); it != all.overdue.end()) {
      row.note = "overdue: " + overdue_text(it->second, all.now);
    } else if (auto run = all.latest.find(task.name); row.failing && run != all.latest.end()) {
      const std::string& error = run->second.error;
      row.note = fmt::format("last run {}{}", service::to_string(run->second.status),
                             error.empty() ? "" : ": " + error.substr(0, error.find('\n')));
      if (row.note.size() > 140) row.note = row.note.substr(0, 137) + "...";
    }
    if (auto it = recent.find(task.name); it != recent.end()) {
      row.marks = place_on_timeline(summarize_runs(it->second, all, headlines), window);
    }
    model.rows.push_back(std::move(row));
  }
  model.pager = pager("/overview", pages.value(), order.size(), "tasks");
  model.generated_at = format_utc(all.now);
  return answer(
      request, start, [&] { return render_overview(model); },
      [&] { return render_overview_live(model); });
}

}  // namespace

void register_dashboard_pages(
    Router& router, service::Service& service, const Auth& auth,
    const std::function<Handler(std::function<Response(Request&)>)>& guarded) {
  service::Service* s = &service;
  const Auth* a = &auth;
  router.add(Method::get, "/", guarded([s, a](Request& r) { return tasks_page(r, *s, *a); }),
             Access::open);
  router.add(Method::get, "/overview",
             guarded([s, a](Request& r) { return overview_page(r, *s, *a); }), Access::open);
  router.add(Method::get, "/tasks/{name}",
             guarded([s, a](Request& r) { return task_page(r, *s, *a); }), Access::open);
  router.add(Method::get, "/runs/{id}", guarded([s, a](Request& r) { return run_page(r, *s, *a); }),
             Access::open);
}

}  // namespace maintd::http::dashboard
