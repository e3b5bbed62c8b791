// The overdue watch (expect_success_within): see overdue_watch.hpp.
#include "scheduler/overdue_watch.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/duration.hpp"
#include "store/store_error.hpp"

namespace maintd::scheduler {

OverdueWatch::OverdueWatch(store::RunStore& runs, Alerts& alerts) : runs_(runs), alerts_(alerts) {}

void OverdueWatch::saw(const tasks::TaskSet& tasks, Instant now) {
  std::lock_guard lock(mutex_);
  for (const auto& task : tasks) {
    if (task.policies.expect_success_within) first_seen_.try_emplace(task.name, now);
  }
}

std::vector<OverdueTask> OverdueWatch::overdue() const {
  std::lock_guard lock(mutex_);
  std::vector<OverdueTask> out;
  out.reserve(overdue_.size());
  for (const auto& [name, task] : overdue_) out.push_back(task);
  return out;
}

void OverdueWatch::check(const tasks::TaskSet& tasks, Instant now) {
  const bool watched = std::any_of(tasks.begin(), tasks.end(), [](const config::Task& task) {
    return task.enabled && task.policies.expect_success_within.has_value();
  });
  std::map<std::string, store::Timestamp> last_success;
  if (watched) {
    try {
      last_success = runs_.last_successes();
    } catch (const store::StoreError& e) {
      // Unknown is not overdue: keep what we had and look again at the next check.
      spdlog::error("checking expect_success_within: {}", e.what());
      return;
    }
  }
  std::map<std::string, OverdueTask> current;
  std::lock_guard lock(mutex_);
  for (const auto& task : tasks) {
    if (!task.enabled || !task.policies.expect_success_within) continue;
    OverdueTask state;
    state.task = task.name;
    state.expected = *task.policies.expect_success_within;
    if (const auto it = last_success.find(task.name); it != last_success.end()) {
      state.last_success = it->second;
      state.since = std::chrono::floor<std::chrono::seconds>(it->second);
    } else {
      const auto seen = first_seen_.find(task.name);
      state.since = seen != first_seen_.end() ? seen->second : now;
    }
    if (now - state.since <= state.expected) continue;
    if (overdue_.count(task.name) == 0) {
      const std::string message =
          state.last_success
              ? fmt::format("no completed run for {} (expect_success_within {}); last success {}",
                            format_duration(now - state.since), format_duration(state.expected),
                            format_utc(state.since))
              : fmt::format(
                    "no completed run since maintd began watching it {} ago "
                    "(expect_success_within {})",
                    format_duration(now - state.since), format_duration(state.expected));
      spdlog::error("task {}: overdue: {}", task.name, message);
      alerts_.raise(Alert{.kind = Alert::Kind::overdue,
                          .task = task.name,
                          .run = std::nullopt,
                          .message = message,
                          .at = now});
    }
    current.emplace(task.name, std::move(state));
  }
  for (const auto& [name, state] : overdue_) {
    if (current.count(name) == 0) spdlog::info("task {}: no longer overdue", name);
  }
  overdue_ = std::move(current);
}

}  // namespace maintd::scheduler
