#include "scheduler/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace maintd::scheduler {
namespace {

// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// A bound or a sum: shortest form that reads back exactly ("0.005", "60", "+Inf").
std::string number(double value) {
  return fmt::format("{}", value);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void histogram_lines(std::string& out, std::string_view name, std::string_view labels,
                     const Histogram& histogram) {
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += histogram.counts()[i];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix,
                   number(histogram.bounds()[i]), cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, prefix,
                 histogram.count());
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n{}_count{} {}\n", name, braces,
                 number(histogram.sum()), name, braces, histogram.count());
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

void Histogram::observe(double seconds) {
  ++count_;
  sum_ += seconds;
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  if (it != bounds_.end()) ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
}

const std::vector<double>& Metrics::duration_bounds() {
  static const std::vector<double> bounds{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600};
  return bounds;
}

const std::vector<double>& Metrics::lateness_bounds() {
  static const std::vector<double> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5,   1,    2.5,   5,    15,  60};
  return bounds;
}

void Metrics::run_finished(const std::string& task, store::RunStatus status,
                           std::chrono::milliseconds duration) {
  std::lock_guard lock(mutex_);
  ++runs_[{task, status}];
  auto it = durations_.find(task);
  if (it == durations_.end()) it = durations_.emplace(task, Histogram(duration_bounds())).first;
  it->second.observe(std::chrono::duration<double>(duration).count());
}

void Metrics::slot_started(std::chrono::milliseconds lateness) {
  std::lock_guard lock(mutex_);
  lateness_.observe(std::max(0.0, std::chrono::duration<double>(lateness).count()));
}

void Metrics::slot_skipped(const std::string& task) {
  std::lock_guard lock(mutex_);
  ++runs_[{task, store::RunStatus::skipped}];
}

void Metrics::run_abandoned(const std::string& task) {
  std::lock_guard lock(mutex_);
  ++runs_[{task, store::RunStatus::abandoned}];
}

std::string Metrics::render(const Scrape& scrape) const {
  std::string out;
  std::lock_guard lock(mutex_);
  family(out, "maintd_runs_total", "counter",
         "Runs that ended on this instance, by task and final status (skipped slots and runs "
         "this instance marked abandoned included).");
  for (const auto& [key, count] : runs_) {
    fmt::format_to(std::back_inserter(out), "maintd_runs_total{{task=\"{}\",status=\"{}\"}} {}\n",
                   label(key.first), to_string(key.second), count);
  }
  family(out, "maintd_run_duration_seconds", "histogram",
         "How long runs took from start to outcome, by task.");
  for (const auto& [task, histogram] : durations_) {
    histogram_lines(out, "maintd_run_duration_seconds", fmt::format("task=\"{}\"", label(task)),
                    histogram);
  }
  family(out, "maintd_slot_lateness_seconds", "histogram",
         "How late scheduled runs started after their slot (jitter excluded).");
  histogram_lines(out, "maintd_slot_lateness_seconds", "", lateness_);

  family(out, "maintd_tasks", "gauge", "Tasks in the daemon's task set.");
  fmt::format_to(std::back_inserter(out), "maintd_tasks {}\n", scrape.tasks);
  family(out, "maintd_tasks_enabled", "gauge", "Tasks that are enabled.");
  fmt::format_to(std::back_inserter(out), "maintd_tasks_enabled {}\n", scrape.tasks_enabled);
  family(out, "maintd_runs_running", "gauge", "Runs executing on this instance.");
  fmt::format_to(std::back_inserter(out), "maintd_runs_running {}\n", scrape.running);
  family(out, "maintd_last_success_timestamp_seconds", "gauge",
         "When each task's latest completed run finished (Unix time), from the state database.");
  for (const auto& [task, at] : scrape.last_success) {
    const double seconds = std::chrono::duration<double>(at.time_since_epoch()).count();
    fmt::format_to(std::back_inserter(out),
                   "maintd_last_success_timestamp_seconds{{task=\"{}\"}} {}\n", label(task),
                   fmt::format("{:.3f}", seconds));
  }
  family(out, "maintd_task_overdue", "gauge",
         "1 for each task with no completed run within its expect_success_within.");
  for (const auto& task : scrape.overdue) {
    fmt::format_to(std::back_inserter(out), "maintd_task_overdue{{task=\"{}\"}} 1\n", label(task));
  }
  // The pause is the state database's, so every instance reports the same one.
  const auto unix_seconds = [](store::Timestamp at) {
    return fmt::format("{:.3f}", std::chrono::duration<double>(at.time_since_epoch()).count());
  };
  family(out, "maintd_paused", "gauge",
         "1 while maintd is paused (no scheduled run starts on any instance), else 0.");
  fmt::format_to(std::back_inserter(out), "maintd_paused {}\n", scrape.pause ? 1 : 0);
  // Each family's samples right after its HELP and TYPE (the text format wants them grouped).
  const auto& pause = scrape.pause;
  family(out, "maintd_pause_info", "gauge",
         "The current pause: who paused, when, until when (empty: until a resume) and why.");
  if (pause) {
    fmt::format_to(std::back_inserter(out),
                   "maintd_pause_info{{paused_by=\"{}\",since=\"{}\",until=\"{}\",reason=\"{}\"}} "
                   "1\n",
                   label(pause->paused_by), store::format_timestamp(pause->paused_at),
                   pause->until ? store::format_timestamp(*pause->until) : "",
                   label(pause->reason));
  }
  family(out, "maintd_pause_since_timestamp_seconds", "gauge",
         "When the current pause began (Unix time).");
  if (pause) {
    fmt::format_to(std::back_inserter(out), "maintd_pause_since_timestamp_seconds {}\n",
                   unix_seconds(pause->paused_at));
  }
  family(out, "maintd_pause_until_timestamp_seconds", "gauge",
         "When the current pause ends by itself (Unix time); absent when it lasts until a resume.");
  if (pause && pause->until) {
    fmt::format_to(std::back_inserter(out), "maintd_pause_until_timestamp_seconds {}\n",
                   unix_seconds(*pause->until));
  }
  return out;
}

}  // namespace maintd::scheduler
