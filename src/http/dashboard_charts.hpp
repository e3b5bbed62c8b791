#pragma once
// Where the dashboard's marks and curves go: a task's strip of runs and its duration sparkline,
// the task page's charts over time, the 24-hour timeline. Pure geometry over view models
// (dashboard_view.hpp) in SVG user units: no markup (the templates draw), no I/O.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/dashboard_view.hpp"

namespace maintd::http::dashboard {

// The width a strip gives each run (a 5-unit mark and a 1-unit gap).
inline constexpr double kStripStep = 6;

// A run's hover text: "#42 completed · slot 2026-03-29T01:00:00Z · 1.2s · released 3 claims"
// (a manual run: "manual, 2026-..."; a failed run: its error's first line instead of words).
std::string run_title(const RunSummary& run);

// One mark per run, `runs` oldest first, left to right.
std::vector<RunMark> strip_marks(const std::vector<RunSummary>& runs);

// The durations of `runs` (oldest first) as a curve in a `width` x `height` box, its top the
// longest; empty when fewer than two of them have a duration.
std::optional<Sparkline> duration_sparkline(const std::vector<RunSummary>& runs, double width = 120,
                                            double height = 22);

// A chart of `value` over the runs' times (`runs` oldest first); runs without a value are left
// out. `format` writes the axis's top ("12.3s", "1,204"); `empty` says why there is nothing to
// draw when no run has a value.
Chart time_chart(std::string name, std::string title, const std::vector<RunSummary>& runs,
                 const std::function<std::optional<double>(const RunSummary&)>& value,
                 const std::function<std::string(double)>& format, std::string empty);

// The 24-hour timeline's axis: [from_ms, to_ms) over 0..width.
struct TimelineWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  double width = 1440;
  double min_width = 5;  // a mark is at least this wide, so that a short run can be seen
};

// Where on the axis `at_ms` is (not clamped).
double timeline_x(const TimelineWindow& window, std::int64_t at_ms);

// `runs` (any order) as marks on the window: each at when it ran, as wide as it took (at least
// min_width); runs outside the window are left out; marks that would overlap are merged into one
// that stands for all of them, coloured by the worst status among them (failed over abandoned
// over running over pending over cancelled over skipped over completed) and linked to the newest.
std::vector<TimelineMark> place_on_timeline(const std::vector<RunSummary>& runs,
                                            const TimelineWindow& window);

// How bad a status is, for merging marks: higher is worse.
int status_severity(const std::string& status);

}  // namespace maintd::http::dashboard
