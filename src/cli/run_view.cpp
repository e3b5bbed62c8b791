#include "cli/run_view.hpp"

#include <cctz/time_zone.h>
#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/instant.hpp"
#include "service/json_views.hpp"

namespace maintd::cli {
std::string run_duration_text(const store::RunRecord& run) {
  const auto duration = run_duration(run);
  return duration ? format_run_duration(*duration) : "-";
}

std::string timestamp_text(const std::optional<store::Timestamp>& at) {
  if (!at) return "-";
  return cctz::format("%Y-%m-%d %H:%M:%S", std::chrono::time_point_cast<std::chrono::seconds>(*at),
                      cctz::utc_time_zone());
}

std::string event_line(const store::RunEvent& event) {
  const std::string stamp = store::format_timestamp(event.at);  // 2026-03-29T01:00:00.123Z
  return fmt::format("{} {:<7} {}: {}", stamp.substr(11, 12), event.level, event.event,
                     event.message);
}

}  // namespace maintd::cli
