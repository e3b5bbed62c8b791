// JSON views of runs and tasks (docs/json-output.md).
#include "service/json_views.hpp"

#include <cctz/time_zone.h>

#include "common/duration.hpp"
#include "config/redact.hpp"

namespace maintd::service {
namespace {

using nlohmann::json;

json optional_stamp(const std::optional<store::Timestamp>& at) {
  return at ? json(store::format_timestamp(*at)) : json(nullptr);
}

}  // namespace

std::optional<std::chrono::milliseconds> run_duration(const store::RunRecord& run) {
  if (!run.started_at) return std::nullopt;
  const auto end = run.finished_at ? *run.finished_at : run.heartbeat_at.value_or(*run.started_at);
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - *run.started_at);
}

json run_to_json(const store::RunRecord& run) {
  const auto duration = run_duration(run);
  return {
      {"id", run.id},
      {"task", run.task_name},
      {"type", run.task_type},
      {"trigger", std::string(to_string(run.trigger))},
      {"scheduled_for", run.scheduled_for ? json(format_utc(*run.scheduled_for)) : json()},
      {"status", std::string(to_string(run.status))},
      {"attempt", run.attempt},
      {"dry_run", run.dry_run},
      {"config", run.config},
      {"instance_id", run.instance_id.empty() ? json() : json(run.instance_id)},
      {"host", run.host.empty() ? json() : json(run.host)},
      {"pid", run.pid == 0 ? json() : json(run.pid)},
      {"created_at", store::format_timestamp(run.created_at)},
      {"started_at", optional_stamp(run.started_at)},
      {"finished_at", optional_stamp(run.finished_at)},
      {"heartbeat_at", optional_stamp(run.heartbeat_at)},
      {"duration_ms", duration ? json(duration->count()) : json()},
      {"result", run.result},
      {"error", run.error.empty() ? json() : json(run.error)},
      {"due_at", run.due_at ? json(format_utc(*run.due_at)) : json()},  // one-off runs
  };
}

json event_to_json(const store::RunEvent& event) {
  return {{"at", store::format_timestamp(event.at)},
          {"level", event.level},
          {"event", event.event},
          {"message", event.message}};
}

json slot_json(Instant slot, const config::Task& task) {
  return {{"utc", format_utc(slot)},
          {"local", cctz::format("%Y-%m-%dT%H:%M:%S%Ez", slot, task.slots.zone())}};
}

std::string slot_text(Instant slot, const config::Task& task) {
  // Both values are digits and punctuation: nothing to escape. Members in nlohmann's order.
  std::string text = "{\"local\":\"";
  text += cctz::format("%Y-%m-%dT%H:%M:%S%Ez", slot, task.slots.zone());
  text += "\",\"utc\":\"";
  text += format_utc(slot);
  text += "\"}";
  return text;
}

json policies_json(const config::Policies& p) {
  return {
      {"timeout", format_duration(p.timeout)},
      {"concurrency", config::to_string(p.concurrency)},
      {"catchup", format_duration(p.catchup)},
      {"retries", p.retries},
      {"retry_backoff", format_duration(p.retry_backoff)},
      {"jitter", format_duration(p.jitter)},
      {"expect_success_within",
       p.expect_success_within ? json(format_duration(*p.expect_success_within)) : json(nullptr)},
      {"pause_after_failures",
       p.pause_after_failures > 0 ? json(p.pause_after_failures) : json(nullptr)}};
}

json task_to_json(const config::Task& task, std::optional<Instant> next) {
  return {{"name", task.name},
          {"display_name", task.display_name},
          {"description", task.description},
          {"type", task.type},
          {"written_type", task.written_type},
          {"schedule", task.schedule},
          {"timezone", task.timezone},
          {"enabled", task.enabled},
          {"dry_run", task.dry_run},
          {"next", next ? slot_json(*next, task) : json(nullptr)},
          {"policies", policies_json(task.policies)},
          {"config", config::redact(task.config)},
          {"origin", task.origin()},
          {"defined_at", task.defined_at.to_string()}};
}

}  // namespace maintd::service
