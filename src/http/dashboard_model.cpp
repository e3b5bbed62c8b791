// The dashboard's view models from the service's records (dashboard_model.hpp).
#include "http/dashboard_model.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/duration.hpp"
#include "cron/schedule.hpp"
#include "http/dashboard_charts.hpp"
#include "service/json_views.hpp"
#include "service/service.hpp"

namespace maintd::http::dashboard {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string stamp(const std::optional<service::Timestamp>& at) {
  if (!at) return {};
  return format_utc(std::chrono::floor<seconds>(*at));
}

std::string explanation(const std::string& schedule) {
  try {
    const auto explained = cron::explain_schedule(schedule);
    return explained ? *explained : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

TaskSummary summarize_task(const config::Task& task, service::Service& service, Instant now) {
  TaskSummary summary;
  summary.name = task.name;
  summary.type = task.type;
  summary.description = task.description;
  summary.schedule = task.schedule;
  summary.timezone = task.timezone;
  summary.explanation = explanation(task.schedule);
  summary.origin = task.source == config::Task::Source::table
                       ? "scheduled_tasks (maintd task add)"
                       : (task.file.empty() ? task.defined_at.file : task.file);
  summary.enabled = task.enabled;
  summary.dry_run = task.dry_run;
  if (task.enabled) {
    if (const auto next = service.next_fire(task.name)) {
      summary.next_slot = format_utc(*next);
      summary.next_slot_in = *next >= now ? "in " + format_distance(*next - now)
                                          : format_distance(now - *next) + " ago";
    }
  }
  const auto& policies = task.policies;
  summary.policies = {{"timeout", format_duration(policies.timeout)},
                      {"concurrency", config::to_string(policies.concurrency)},
                      {"catch-up", format_duration(policies.catchup)},
                      {"retries", std::to_string(policies.retries)}};
  if (policies.retries > 0) {
    summary.policies.emplace_back("retry backoff", format_duration(policies.retry_backoff));
  }
  if (policies.jitter.count() > 0) {
    summary.policies.emplace_back("jitter", format_duration(policies.jitter));
  }
  if (policies.expect_success_within) {
    summary.policies.emplace_back("expect success within",
                                  format_duration(*policies.expect_success_within));
  }
  if (policies.pause_after_failures > 0) {
    summary.policies.emplace_back("pause after failures",
                                  std::to_string(policies.pause_after_failures));
  }
  return summary;
}

std::string overdue_text(const scheduler::OverdueTask& overdue, Instant now) {
  const std::string expected = format_duration(overdue.expected);
  if (!overdue.last_success) {
    return fmt::format("no completed run recorded (expected within {}; watching for {})", expected,
                       format_distance(now - overdue.since));
  }
  return fmt::format("no completed run for {} (expected within {})",
                     format_distance(now - std::chrono::floor<seconds>(*overdue.last_success)),
                     expected);
}

bool is_stale(const service::RunRecord& run, service::Timestamp now, std::chrono::seconds lease) {
  if (run.status == service::RunStatus::abandoned) return true;
  if (run.status != service::RunStatus::running && run.status != service::RunStatus::pending) {
    return false;
  }
  const service::Timestamp last = run.heartbeat_at.value_or(run.created_at);
  return now - last > lease;
}

RunSummary summarize_run(const service::RunRecord& run, service::Timestamp now,
                         std::chrono::seconds lease, const registry::Headline* headline) {
  RunSummary summary;
  summary.id = run.id;
  summary.status = std::string(service::to_string(run.status));
  summary.trigger = std::string(service::to_string(run.trigger));
  summary.dry_run = run.dry_run;
  summary.attempt = run.attempt;
  summary.scheduled_for = run.scheduled_for ? format_utc(*run.scheduled_for) : std::string();
  summary.created_at = stamp(run.created_at);
  summary.started_at = stamp(run.started_at);
  summary.finished_at = stamp(run.finished_at);
  summary.heartbeat_at = stamp(run.heartbeat_at);
  if (run.started_at) {
    // A run in progress: how long it has been going so far.
    const service::Timestamp end = run.finished_at ? *run.finished_at
                                   : (run.status == service::RunStatus::running)
                                       ? std::max(now, *run.started_at)
                                       : run.heartbeat_at.value_or(*run.started_at);
    const milliseconds took = duration_cast<milliseconds>(end - *run.started_at);
    summary.duration = format_run_duration(took);
    summary.seconds = static_cast<double>(std::max(took, milliseconds(0)).count()) / 1000.0;
  }
  summary.at_ms = (run.started_at ? *run.started_at : run.created_at).time_since_epoch().count();
  summary.host = run.host;
  summary.error = run.error;
  summary.stale = is_stale(run, now, lease);
  // A failed run keeps no result (its error says what happened); a cancelled or timed-out one
  // keeps what its handler returned, if it returned: that much was done.
  if (headline != nullptr && run.result.is_object()) {
    summary.headline = registry::headline_count(*headline, run.result, run.dry_run);
    summary.summary = registry::result_in_words(*headline, run.result, run.dry_run);
  }
  return summary;
}

const registry::Headline* Headlines::of(const std::string& type) {
  const auto it = known_.find(type);
  if (it != known_.end()) return it->second;
  const registry::HandlerInfo* handler = service_.handler(type);
  const registry::Headline* headline =
      handler != nullptr && handler->headline ? &*handler->headline : nullptr;
  known_.emplace(type, headline);
  return headline;
}

void add_recent_runs(TaskSummary& task, const std::vector<RunSummary>& runs_newest_first) {
  const std::vector<RunSummary> oldest_first(runs_newest_first.rbegin(), runs_newest_first.rend());
  task.strip = strip_marks(oldest_first);
  task.sparkline = duration_sparkline(oldest_first);
}

int overview_rank(const TaskSummary& task) {
  if (task.overdue) return 0;
  if (task.last_run &&
      (task.last_run->status == "failed" || task.last_run->status == "timed_out")) {
    return 1;
  }
  if (task.last_run && task.last_run->status == "running") return 2;
  return 3;
}

EventLine event_line(const service::RunEvent& event) {
  // "2026-03-29T01:00:00.123Z" -> "01:00:00.123": the run's page names the day.
  std::string at = service::format_timestamp(event.at);
  if (at.size() >= 23) at = at.substr(11, 12);
  return {std::move(at), event.level, event.event, event.message};
}

}  // namespace maintd::http::dashboard
