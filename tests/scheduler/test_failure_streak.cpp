// pause_after_failures' counting, on histories written as strings: which runs count, which end
// the streak, which are passed over, and a slot's retries counting once.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "scheduler/failure_streak.hpp"
#include "support/test_clock.hpp"

using maintd::scheduler::failure_streak;
using maintd::scheduler::pauses;
using maintd::store::RunRecord;
using maintd::store::RunStatus;
using maintd::testing::TestClock;

namespace {

// "F F2 C T S X A P R": failed, failed attempt 2, completed, timed_out, skipped, cancelled,
// abandoned, pending, running; oldest first, one minute apart from 2026-03-29T00:00Z, ids 1...
std::vector<RunRecord> history(const std::string& text) {
  std::vector<RunRecord> runs;
  std::istringstream words(text);
  std::string word;
  auto at = TestClock::parse("2026-03-29T00:00:00.000Z");
  while (words >> word) {
    RunRecord run;
    run.id = static_cast<maintd::store::RunId>(runs.size() + 1);
    run.created_at = at;
    at += std::chrono::minutes(1);
    switch (word[0]) {
      case 'F':
        run.status = RunStatus::failed;
        break;
      case 'T':
        run.status = RunStatus::timed_out;
        break;
      case 'C':
        run.status = RunStatus::completed;
        break;
      case 'S':
        run.status = RunStatus::skipped;
        break;
      case 'X':
        run.status = RunStatus::cancelled;
        break;
      case 'A':
        run.status = RunStatus::abandoned;
        break;
      case 'P':
        run.status = RunStatus::pending;
        break;
      case 'R':
        run.status = RunStatus::running;
        break;
    }
    run.attempt = word.size() > 1 ? word[1] - '0' : 1;
    runs.push_back(run);
  }
  return {runs.rbegin(), runs.rend()};  // newest first, as the store gives them
}

struct Row {
  const char* history;
  int failures;
};

// clang-format off
constexpr Row kRows[] = {
    {"", 0},
    {"C", 0},
    {"F", 1},
    {"F F F", 3},
    {"F T F", 3},              // timed_out counts like failed
    {"F F C", 0},              // a success ends the streak
    {"F C F F", 2},
    {"F S F X F A F", 4},      // skipped, cancelled, abandoned: neither
    {"F F R", 2},              // a run in flight is passed over
    {"F P F", 2},
    {"F F2 F3", 1},            // one slot, three attempts: one failure
    {"F F2 F F2", 2},          // two slots, two attempts each
    {"F F2 F3 F F2 F3", 2},
    {"F F F2", 2},             // the first F is a slot of its own
    {"F2 F", 2},               // an attempt 2 whose attempt 1 is not before it counts alone
    {"C F F2 C F F2", 1},
};
// clang-format on

}  // namespace

TEST_CASE("failure streak: what counts, what ends it, what is passed over") {
  for (const auto& row : kRows) {
    CAPTURE(row.history);
    const auto streak = failure_streak(history(row.history), std::nullopt);
    CHECK(streak.failures == row.failures);
    CHECK(streak.runs.size() == static_cast<std::size_t>(row.failures));
  }
}

TEST_CASE("failure streak: runs before the task was last enabled do not count") {
  // Runs at 00:00 ... 00:04; enabled at 00:02:30: only the runs of 00:03 and 00:04 count.
  const auto runs = history("F F F F F");
  const auto since = TestClock::parse("2026-03-29T00:02:30.000Z");
  CHECK(failure_streak(runs, since).failures == 2);
  CHECK(failure_streak(runs, since).runs == std::vector<maintd::store::RunId>{5, 4});
  // Enabled exactly when a run was created: that run counts (created at or after).
  CHECK(failure_streak(runs, TestClock::parse("2026-03-29T00:03:00.000Z")).failures == 2);
  CHECK(failure_streak(runs, TestClock::parse("2026-03-29T00:05:00.000Z")).failures == 0);
}

TEST_CASE("failure streak: the threshold pauses at N or more, never at 0") {
  const auto three = failure_streak(history("F F F"), std::nullopt);
  CHECK(pauses(three, 3));
  CHECK(pauses(three, 2));
  CHECK_FALSE(pauses(three, 4));
  CHECK_FALSE(pauses(three, 0));
}
