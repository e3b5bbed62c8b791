// The planner with `@every` tasks, on an injected sequence of instants: the first slot when
// there is no history, two planners started apart agreeing on every slot (what lets several
// daemons claim each slot once), a restart keeping the phase, catch-up after downtime, jitter,
// each clock-jump case, and a reload that changes the interval.
#include <doctest/doctest.h>

#include "scheduler/planner.hpp"
#include "scheduler/task_factory.hpp"

using maintd::Instant;
using maintd::scheduler::Firing;
using maintd::scheduler::jitter_offset;
using maintd::scheduler::Planner;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::make_task;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> describe(const std::vector<Firing>& firings) {
  std::vector<std::string> out;
  for (const auto& f : firings) {
    out.push_back(f.task + "@" + maintd::format_utc(f.slot) + " " +
                  (f.skipped ? "skipped" : std::string(to_string(f.trigger))));
  }
  return out;
}

// Every firing from `from` to `to`, waking at each of the planner's wakes.
std::vector<std::string> run_until(Planner& planner, Instant to) {
  std::vector<std::string> fired;
  while (auto wake = planner.next_wake()) {
    if (*wake > to) break;
    for (auto& line : describe(planner.due(*wake))) fired.push_back(line);
  }
  return fired;
}

}  // namespace

TEST_CASE("@every without history: the first slot is the next on the grid, within one interval") {
  // 10:00:00 is a multiple of 90 s since the epoch (a day is 960 of them): the grid is
  // 10:00:00, 10:01:30, 10:03:00, ...
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 90s"})}, at("2026-03-01T10:00:07Z"));
  CHECK(planner.next_wake() == at("2026-03-01T10:01:30Z"));
  CHECK(planner.due(at("2026-03-01T10:01:29Z")).empty());
  CHECK(describe(planner.due(at("2026-03-01T10:01:30Z"))) ==
        std::vector<std::string>{"t@2026-03-01T10:01:30Z schedule"});
  // Then one interval after each slot.
  CHECK(planner.next_wake() == at("2026-03-01T10:03:00Z"));
}

TEST_CASE("@every: two planners started at different times fire the same slots") {
  Planner first;
  Planner second;
  first.set_tasks({make_task({"t", "@every 90s"})}, at("2026-03-01T10:00:07Z"));
  second.set_tasks({make_task({"t", "@every 90s"})}, at("2026-03-01T10:00:52Z"));
  const auto a = run_until(first, at("2026-03-01T10:10:00Z"));
  const auto b = run_until(second, at("2026-03-01T10:10:00Z"));
  CHECK(a.size() == 6);
  CHECK(a == b);
}

TEST_CASE("@every: a restart keeps the phase from the last slot in the state database") {
  // The daemon ran slot 10:01:30 and restarted at 10:02:10: the next slot is 10:03:00, one
  // interval after the last, not 90 s after the restart.
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 90s"})}, at("2026-03-01T10:02:10Z"),
                    {{"t", at("2026-03-01T10:01:30Z")}});
  CHECK(planner.next_wake() == at("2026-03-01T10:03:00Z"));
  CHECK(planner.due(at("2026-03-01T10:02:10Z")).empty());
}

TEST_CASE("@every after downtime: recent slots coalesced into one catch-up run, older skipped") {
  // Down from 10:01:30 to 10:30:10, catchup 5m: the slots 10:03:00 ... 10:24:00 are older than
  // the window and recorded as one skip; 10:25:30 ... 10:30:00 run once, as catchup.
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 90s", "UTC", 5min})}, at("2026-03-01T10:30:10Z"),
                    {{"t", at("2026-03-01T10:01:30Z")}});
  const auto firings = planner.due(at("2026-03-01T10:30:10Z"));
  REQUIRE(firings.size() == 2);
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-03-01T10:24:00Z skipped",
                                                      "t@2026-03-01T10:30:00Z catchup"});
  CHECK(firings[0].reason ==
        "missed 15 slots from 2026-03-01T10:03:00Z to 2026-03-01T10:24:00Z: older than the "
        "catch-up window (5m) when maintd could run them");
  CHECK(firings[1].reason ==
        "4 missed slots from 2026-03-01T10:25:30Z to 2026-03-01T10:30:00Z coalesced into one run");
  // The grid goes on where it was.
  CHECK(planner.next_wake() == at("2026-03-01T10:31:30Z"));
}

TEST_CASE("@every with catchup 0s: only the latest missed slot within the grace runs") {
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 1m", "UTC", 0s})}, at("2026-03-01T10:00:00Z"));
  const auto firings = planner.due(at("2026-03-01T10:10:20Z"));
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-03-01T10:09:00Z skipped",
                                                      "t@2026-03-01T10:10:00Z catchup"});
}

TEST_CASE("@every with jitter: each slot fires at the same offset after it") {
  const auto offset = jitter_offset("spread", 60s);
  REQUIRE(offset < 60s);
  Planner planner;
  planner.set_tasks({make_task({"spread", "@every 10m", "UTC", 5min, 60s})},
                    at("2026-03-01T10:00:01Z"));
  CHECK(planner.next_wake() == at("2026-03-01T10:10:00Z") + offset);
  if (offset > 0s) {
    CHECK(planner.due(at("2026-03-01T10:10:00Z") + offset - 1s).empty());
  }
  CHECK(describe(planner.due(at("2026-03-01T10:10:00Z") + offset)) ==
        std::vector<std::string>{"spread@2026-03-01T10:10:00Z schedule"});
  CHECK(planner.next_wake() == at("2026-03-01T10:20:00Z") + offset);
}

TEST_CASE("@every: the clock going backwards fires no slot twice") {
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 2m"})}, at("2026-03-01T10:00:30Z"));
  CHECK(describe(planner.due(at("2026-03-01T10:02:00Z"))) ==
        std::vector<std::string>{"t@2026-03-01T10:02:00Z schedule"});
  // An NTP step back by 20 minutes: nothing is due until the clock passes the cursor again.
  CHECK(planner.due(at("2026-03-01T09:42:00Z")).empty());
  CHECK(planner.due(at("2026-03-01T10:02:00Z")).empty());
  CHECK(describe(planner.due(at("2026-03-01T10:04:00Z"))) ==
        std::vector<std::string>{"t@2026-03-01T10:04:00Z schedule"});
}

TEST_CASE("@every: the clock jumping forward past the window skips, then the grid goes on") {
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 30s", "UTC", 1min})}, at("2026-03-01T10:00:00Z"));
  // A suspend of an hour.
  const auto firings = planner.due(at("2026-03-01T11:00:05Z"));
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-03-01T10:59:00Z skipped",
                                                      "t@2026-03-01T11:00:00Z catchup"});
  CHECK(planner.next_wake() == at("2026-03-01T11:00:30Z"));
}

TEST_CASE("@every: a slow wake within the grace is still on time") {
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 5m"})}, at("2026-03-01T10:00:00Z"));
  CHECK(describe(planner.due(at("2026-03-01T10:05:40Z"))) ==
        std::vector<std::string>{"t@2026-03-01T10:05:00Z schedule"});
}

TEST_CASE("@every: a reload that changes the interval moves to the new grid from the reload") {
  Planner planner;
  planner.set_tasks({make_task({"t", "@every 1h"})}, at("2026-03-01T10:20:00Z"));
  CHECK(planner.next_wake() == at("2026-03-01T11:00:00Z"));
  planner.set_tasks({make_task({"t", "@every 15m"})}, at("2026-03-01T10:20:00Z"));
  CHECK(planner.next_wake() == at("2026-03-01T10:30:00Z"));
  // Unchanged on the next reload: the cursor is kept.
  planner.set_tasks({make_task({"t", "@every 15m"})}, at("2026-03-01T10:21:00Z"));
  CHECK(planner.next_wake() == at("2026-03-01T10:30:00Z"));
}

TEST_CASE("@every and cron tasks side by side keep their own slots") {
  Planner planner;
  planner.set_tasks({make_task({"cron", "*/2 * * * *"}), make_task({"every", "@every 90s"})},
                    at("2026-03-01T10:00:00Z"));
  CHECK(run_until(planner, at("2026-03-01T10:04:30Z")) ==
        std::vector<std::string>{
            "every@2026-03-01T10:01:30Z schedule", "cron@2026-03-01T10:02:00Z schedule",
            "every@2026-03-01T10:03:00Z schedule", "cron@2026-03-01T10:04:00Z schedule",
            "every@2026-03-01T10:04:30Z schedule"});
}
