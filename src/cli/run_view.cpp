#include "cli/run_view.hpp"

#include <cctz/time_zone.h>
#include <fmt/format.h>

#include "common/instant.hpp"

namespace maintd::cli {
namespace {

nlohmann::json optional_stamp(const std::optional<store::Timestamp>& at) {
  return at ? nlohmann::json(store::format_timestamp(*at)) : nlohmann::json(nullptr);
}

}  // namespace

std::optional<std::chrono::milliseconds> run_duration(const store::RunRecord& run) {
  if (!run.started_at) return std::nullopt;
  const auto end = run.finished_at ? *run.finished_at : run.heartbeat_at.value_or(*run.started_at);
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - *run.started_at);
}

std::string run_duration_text(const store::RunRecord& run) {
  const auto duration = run_duration(run);
  if (!duration) return "-";
  const auto ms = duration->count();
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  const auto seconds = ms / 1000;
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60);
}

std::string timestamp_text(const std::optional<store::Timestamp>& at) {
  if (!at) return "-";
  return cctz::format("%Y-%m-%d %H:%M:%S", std::chrono::time_point_cast<std::chrono::seconds>(*at),
                      cctz::utc_time_zone());
}

nlohmann::json run_to_json(const store::RunRecord& run) {
  const auto duration = run_duration(run);
  return {
      {"id", run.id},
      {"task", run.task_name},
      {"type", run.task_type},
      {"trigger", std::string(to_string(run.trigger))},
      {"scheduled_for",
       run.scheduled_for ? nlohmann::json(format_utc(*run.scheduled_for)) : nlohmann::json()},
      {"status", std::string(to_string(run.status))},
      {"attempt", run.attempt},
      {"dry_run", run.dry_run},
      {"config", run.config},
      {"instance_id", run.instance_id.empty() ? nlohmann::json() : nlohmann::json(run.instance_id)},
      {"host", run.host.empty() ? nlohmann::json() : nlohmann::json(run.host)},
      {"pid", run.pid == 0 ? nlohmann::json() : nlohmann::json(run.pid)},
      {"created_at", store::format_timestamp(run.created_at)},
      {"started_at", optional_stamp(run.started_at)},
      {"finished_at", optional_stamp(run.finished_at)},
      {"heartbeat_at", optional_stamp(run.heartbeat_at)},
      {"duration_ms", duration ? nlohmann::json(duration->count()) : nlohmann::json()},
      {"result", run.result},
      {"error", run.error.empty() ? nlohmann::json() : nlohmann::json(run.error)},
  };
}

nlohmann::json event_to_json(const store::RunEvent& event) {
  return {{"at", store::format_timestamp(event.at)},
          {"level", event.level},
          {"event", event.event},
          {"message", event.message}};
}

std::string event_line(const store::RunEvent& event) {
  const std::string stamp = store::format_timestamp(event.at);  // 2026-03-29T01:00:00.123Z
  return fmt::format("{} {:<7} {}: {}", stamp.substr(11, 12), event.level, event.event,
                     event.message);
}

}  // namespace maintd::cli
