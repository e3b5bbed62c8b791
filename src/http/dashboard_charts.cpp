// Marks and curves of the dashboard (dashboard_charts.hpp).
#include "http/dashboard_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/instant.hpp"

namespace maintd::http::dashboard {
namespace {

// "03-29 01:00" (UTC) of a time in milliseconds since the epoch: a chart's axis names the day.
std::string short_time(std::int64_t at_ms) {
  const std::string text = format_utc(
      Instant(std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(at_ms))));
  return text.substr(5, 5) + " " + text.substr(11, 5);  // "2026-03-29T01:00:00Z"
}

// "01:00" (UTC).
std::string clock_time(std::int64_t at_ms) {
  return short_time(at_ms).substr(6);
}

std::string number(double value) {
  std::string text = fmt::format("{:.1f}", value);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text;
}

// "2 completed, 1 failed": the statuses of merged runs, worst first.
std::string status_tally(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> ordered(counts.begin(), counts.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return status_severity(a.first) > status_severity(b.first);
  });
  std::string out;
  for (const auto& [status, count] : ordered) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", count, status);
  }
  return out;
}

}  // namespace

int status_severity(const std::string& status) {
  if (status == "failed" || status == "timed_out") return 7;
  if (status == "abandoned") return 6;
  if (status == "running") return 5;
  if (status == "pending") return 4;
  if (status == "cancelled") return 3;
  if (status == "skipped") return 2;
  if (status == "completed") return 1;
  return 6;  // a status this maintd does not know: as bad as abandoned
}

std::string run_title(const RunSummary& run) {
  std::string out = fmt::format("#{} {}", run.id, run.status);
  if (run.dry_run) out += " (dry run)";
  if (!run.scheduled_for.empty()) {
    out += " · slot " + run.scheduled_for;
  } else {
    out += " · " + run.trigger + ", " + run.created_at;
  }
  if (!run.duration.empty()) out += " · " + run.duration;
  if (!run.summary.empty()) {
    out += " · " + run.summary;
  } else if (!run.error.empty()) {
    std::string line = run.error.substr(0, run.error.find('\n'));
    if (line.size() > 120) line = line.substr(0, 117) + "...";
    out += " · " + line;
  }
  return out;
}

std::vector<RunMark> strip_marks(const std::vector<RunSummary>& runs) {
  std::vector<RunMark> marks;
  marks.reserve(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    marks.push_back(
        {runs[i].id, runs[i].status, static_cast<double>(i) * kStripStep, run_title(runs[i])});
  }
  return marks;
}

std::optional<Sparkline> duration_sparkline(const std::vector<RunSummary>& runs, double width,
                                            double height) {
  std::vector<double> values;
  for (const RunSummary& run : runs) {
    if (run.seconds) values.push_back(*run.seconds);
  }
  if (values.size() < 2) return std::nullopt;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  const double top = *high > 0 ? *high : 1;
  const double pad = 2;  // the dot at the end stays inside the box
  Sparkline spark;
  spark.width = width;
  spark.height = height;
  const double step = (width - 2 * pad) / static_cast<double>(values.size() - 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = pad + step * static_cast<double>(i);
    const double y = pad + (height - 2 * pad) * (1 - values[i] / top);
    if (i > 0) spark.points += ' ';
    spark.points += number(x) + "," + number(y);
    spark.last_x = x;
    spark.last_y = y;
  }
  const auto seconds = [](double s) {
    return format_run_duration(std::chrono::milliseconds(static_cast<long long>(s * 1000)));
  };
  spark.label = fmt::format("durations of the last {} runs: {} to {}", values.size(), seconds(*low),
                            seconds(*high));
  return spark;
}

Chart time_chart(std::string name, std::string title, const std::vector<RunSummary>& runs,
                 const std::function<std::optional<double>(const RunSummary&)>& value,
                 const std::function<std::string(double)>& format, std::string empty) {
  Chart chart;
  chart.name = std::move(name);
  chart.title = std::move(title);
  chart.plot_left = 58;
  chart.plot_right = chart.width - 12;
  chart.plot_top = 8;
  chart.plot_bottom = chart.height - 24;
  std::vector<std::pair<const RunSummary*, double>> valued;
  for (const RunSummary& run : runs) {
    if (auto v = value(run)) valued.emplace_back(&run, *v);
  }
  if (valued.empty()) {
    chart.empty = std::move(empty);
    return chart;
  }
  std::int64_t first = valued.front().first->at_ms, last = first;
  double top = 0;
  for (const auto& [run, v] : valued) {
    first = std::min(first, run->at_ms);
    last = std::max(last, run->at_ms);
    top = std::max(top, v);
  }
  if (top <= 0) top = 1;
  const double span = static_cast<double>(last - first);
  const double plot_width = chart.plot_right - chart.plot_left;
  const double plot_height = chart.plot_bottom - chart.plot_top;
  for (const auto& [run, v] : valued) {
    // One run, or runs at one instant: in the middle.
    const double x =
        span > 0 ? chart.plot_left + plot_width * static_cast<double>(run->at_ms - first) / span
                 : chart.plot_left + plot_width / 2;
    const double y = chart.plot_bottom - plot_height * std::max(0.0, v) / top;
    if (!chart.line.empty()) chart.line += ' ';
    chart.line += number(x) + "," + number(y);
    chart.points.push_back({run->id, run->status, x, y, run_title(*run)});
  }
  chart.y_max = format(top);
  chart.y_min = format(0);
  chart.x_from = short_time(first);
  chart.x_to = short_time(last);
  return chart;
}

double timeline_x(const TimelineWindow& window, std::int64_t at_ms) {
  const double span = static_cast<double>(window.to_ms - window.from_ms);
  if (span <= 0) return 0;
  return window.width * static_cast<double>(at_ms - window.from_ms) / span;
}

std::vector<TimelineMark> place_on_timeline(const std::vector<RunSummary>& runs,
                                            const TimelineWindow& window) {
  struct Placed {
    const RunSummary* run;
    double x, end;
  };
  const double span_seconds = static_cast<double>(window.to_ms - window.from_ms) / 1000.0;
  std::vector<Placed> placed;
  for (const RunSummary& run : runs) {
    if (run.at_ms < window.from_ms || run.at_ms >= window.to_ms) continue;
    const double x = timeline_x(window, run.at_ms);
    const double took =
        run.seconds && span_seconds > 0 ? *run.seconds / span_seconds * window.width : 0.0;
    placed.push_back({&run, x, std::min(window.width, x + std::max(window.min_width, took))});
  }
  std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    return a.x != b.x ? a.x < b.x : a.run->id < b.run->id;
  });

  std::vector<TimelineMark> marks;
  std::map<std::string, int> statuses;  // of the mark being merged
  std::int64_t first_ms = 0, last_ms = 0;
  const RunSummary* newest = nullptr;
  double end = 0;
  const auto close = [&] {
    TimelineMark& mark = marks.back();
    mark.width = end - mark.x;
    mark.run_id = newest->id;
    if (mark.runs == 1) {
      mark.title = run_title(*newest);
    } else {
      mark.title =
          fmt::format("{} runs from {} to {}: {} (the newest: {})", mark.runs, clock_time(first_ms),
                      clock_time(last_ms), status_tally(statuses), run_title(*newest));
    }
  };
  for (const Placed& p : placed) {
    if (!marks.empty() && p.x < end) {  // overlaps the mark being built: one mark for both
      TimelineMark& mark = marks.back();
      ++mark.runs;
      if (status_severity(p.run->status) > status_severity(mark.status)) {
        mark.status = p.run->status;
      }
      ++statuses[p.run->status];
      end = std::max(end, p.end);
      first_ms = std::min(first_ms, p.run->at_ms);
      if (p.run->at_ms >= last_ms) {
        last_ms = p.run->at_ms;
        newest = p.run;
      }
      continue;
    }
    if (!marks.empty()) close();
    marks.push_back({p.run->id, p.run->status, p.x, 0, 1, {}});
    statuses = {{p.run->status, 1}};
    first_ms = last_ms = p.run->at_ms;
    newest = p.run;
    end = p.end;
  }
  if (!marks.empty()) close();
  return marks;
}

}  // namespace maintd::http::dashboard
