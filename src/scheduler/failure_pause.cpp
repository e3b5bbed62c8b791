// pause_after_failures, carried out (failure_pause.hpp).
#include "scheduler/failure_pause.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "scheduler/failure_streak.hpp"
#include "store/task_override.hpp"

namespace maintd::scheduler {
namespace {

using store::RunStatus;

// Runs read to count a streak: enough for the longest streak (1000, the most the setting
// takes) and the skipped slots between its runs, without reading a long history.
constexpr int kRunsRead = 2000;
// Runs looked through for the one that paused a task (`maintd status`).
constexpr int kRunsSearched = 20;
constexpr int kEventsRead = 5;

bool is_failure(RunStatus status) {
  return status == RunStatus::failed || status == RunStatus::timed_out;
}

}  // namespace

FailurePause::FailurePause(store::RunStore& runs, Options options)
    : runs_(runs), options_(std::move(options)) {}

bool FailurePause::after_last_attempt(const config::Task& task, const RunOutcome& outcome) {
  const int threshold = task.policies.pause_after_failures;
  if (threshold <= 0 || !is_failure(outcome.status)) return false;
  try {
    const auto table = options_.table();
    if (!table) return false;
    const auto change = store::read_task_change(*table, task.name);
    if (!change.found) return false;  // removed meanwhile: nothing to switch off
    std::optional<store::Timestamp> since;
    if (change.changed_at) since = store::parse_timestamp(*change.changed_at);
    const auto recent = runs_.recent_runs({task.name}, kRunsRead, since);
    const auto runs = recent.find(task.name);
    if (runs == recent.end()) return false;
    const FailureStreak streak = failure_streak(runs->second, since);
    if (!pauses(streak, threshold)) return false;
    if (!store::disable_task_if_unchanged(*table, task.name, change.changed_at, options_.clock)) {
      return false;  // another instance paused it, or someone changed it meanwhile
    }
    const std::string message = fmt::format(
        "paused after {} consecutive failed or timed-out runs (pause_after_failures: {}): the "
        "task is disabled until 'maintd task enable {}'; last error: {}",
        streak.failures, threshold, task.name, outcome.error.empty() ? "-" : outcome.error);
    spdlog::warn("task {} run {}: {}", task.name, outcome.id, message);
    try {
      runs_.add_event(outcome.id, "warning", kPausedEvent, message);
    } catch (const std::exception& e) {
      spdlog::warn("task {} run {}: recording the pause event: {}", task.name, outcome.id,
                   e.what());
    }
    if (options_.raise) {
      options_.raise(Alert{.kind = Alert::Kind::paused,
                           .task = task.name,
                           .run = outcome.id,
                           .message = message,
                           .at = options_.now ? options_.now() : Instant{}});
    }
    if (options_.tasks_changed) options_.tasks_changed();
    return true;
  } catch (const std::exception& e) {
    spdlog::error(
        "task {} run {}: deciding pause_after_failures: {}; the next failed run decides "
        "again",
        task.name, outcome.id, e.what());
    return false;
  }
}

std::vector<PausedTask> paused_by_failures(store::RunStore& runs, const tasks::TaskSet& tasks) {
  std::vector<std::string> candidates;
  for (const auto& task : tasks) {
    if (!task.enabled && task.policies.pause_after_failures > 0) candidates.push_back(task.name);
  }
  std::vector<PausedTask> paused;
  if (candidates.empty()) return paused;
  const auto recent = runs.recent_runs(candidates, kRunsSearched);
  for (const auto& name : candidates) {
    const auto found = recent.find(name);
    if (found == recent.end()) continue;
    int looked = 0;
    for (const auto& run : found->second) {
      if (run.status == RunStatus::completed || looked == kEventsRead) break;
      if (!is_failure(run.status)) continue;
      ++looked;
      const auto events = runs.events(run.id);
      const auto event = std::find_if(events.begin(), events.end(), [](const store::RunEvent& e) {
        return e.event == kPausedEvent;
      });
      if (event == events.end()) continue;
      paused.push_back({name, run.id, event->at, event->message});
      break;
    }
  }
  return paused;
}

}  // namespace maintd::scheduler
