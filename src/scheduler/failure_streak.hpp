#pragma once
// pause_after_failures, the counting (no I/O): how many of a task's latest runs failed in a
// row. The daemon reads the runs and acts on the answer (scheduler/failure_pause.hpp); tests
// give it any history.
//
// Walking a task's runs from the newest:
//   completed                      -> the streak ends: the task works
//   failed, timed_out              -> one failure
//   skipped, cancelled, abandoned  -> neither: a slot not run, a person's stop, a process that
//                                     died are no verdict on the task
//   pending, running               -> not over yet: passed over
//   created before `counted_since` -> the streak ends: the task was enabled (or changed) since,
//                                     which starts the count afresh
// A slot's retries count once: a failed attempt n > 1 takes the failed attempts n-1 ... 1 of its
// slot before it with it, so that `retries: 2` does not turn one bad slot into three failures.
#include <optional>
#include <vector>

#include "store/run_store.hpp"
#include "store/timestamp.hpp"

namespace maintd::scheduler {

struct FailureStreak {
  int failures = 0;
  // The runs counted, newest first: the last attempt of each failed slot (or manual run).
  std::vector<store::RunId> runs;
};

// `newest_first`: the task's runs, newest first (as RunStore::recent_runs gives them).
FailureStreak failure_streak(const std::vector<store::RunRecord>& newest_first,
                             std::optional<store::Timestamp> counted_since);

// Whether a streak pauses a task whose pause_after_failures is `threshold` (0: never).
inline bool pauses(const FailureStreak& streak, int threshold) {
  return threshold > 0 && streak.failures >= threshold;
}

}  // namespace maintd::scheduler
