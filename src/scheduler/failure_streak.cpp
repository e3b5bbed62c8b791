// Counting a task's failures in a row (failure_streak.hpp).
#include "scheduler/failure_streak.hpp"

namespace maintd::scheduler {

using store::RunStatus;

FailureStreak failure_streak(const std::vector<store::RunRecord>& newest_first,
                             std::optional<store::Timestamp> counted_since) {
  FailureStreak streak;
  // The attempt the slot being walked back through had before the one just counted: an older
  // failed run with this attempt number is that slot's, not a failure of its own.
  int earlier_attempt = 0;
  for (const auto& run : newest_first) {
    if (counted_since && run.created_at < *counted_since) break;
    switch (run.status) {
      case RunStatus::completed:
        return streak;
      case RunStatus::failed:
      case RunStatus::timed_out:
        if (earlier_attempt > 0 && run.attempt == earlier_attempt) {
          --earlier_attempt;  // an earlier attempt of a slot already counted
          continue;
        }
        ++streak.failures;
        streak.runs.push_back(run.id);
        earlier_attempt = run.attempt - 1;
        break;
      case RunStatus::pending:
      case RunStatus::running:
      case RunStatus::skipped:
      case RunStatus::cancelled:
      case RunStatus::abandoned:
        break;
    }
  }
  return streak;
}

}  // namespace maintd::scheduler
