// The planner against an injected sequence of instants: slot order, jitter, DST, catch-up and
// skipped slots, each clock-jump case, reloads and retries.
#include <doctest/doctest.h>

#include "scheduler/planner.hpp"
#include "scheduler/task_factory.hpp"

using maintd::Instant;
using maintd::config::Task;
using maintd::scheduler::Firing;
using maintd::scheduler::Planner;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::make_task;
using namespace std::chrono_literals;

namespace {

// "task@slot trigger" per firing, "task@slot skipped" for skips: short enough for tables.
std::vector<std::string> describe(const std::vector<Firing>& firings) {
  std::vector<std::string> out;
  for (const auto& f : firings) {
    out.push_back(f.task + "@" + maintd::format_utc(f.slot) + " " +
                  (f.skipped ? "skipped" : std::string(to_string(f.trigger))));
  }
  return out;
}

}  // namespace

TEST_CASE("slots fire in time order across tasks, once each") {
  Planner planner;
  planner.set_tasks({make_task({"every-2m", "*/2 * * * *"}), make_task({"hourly", "0 * * * *"}),
                     make_task({"every-3m", "*/3 * * * *"})},
                    at("2026-01-01T00:55:00Z"));
  CHECK(planner.next_wake() == at("2026-01-01T00:56:00Z"));
  CHECK(describe(planner.due(at("2026-01-01T00:56:00Z"))) ==
        std::vector<std::string>{"every-2m@2026-01-01T00:56:00Z schedule"});
  CHECK(planner.due(at("2026-01-01T00:56:00Z")).empty());  // asked twice: fired once
  CHECK(planner.next_wake() == at("2026-01-01T00:57:00Z"));
  std::vector<std::string> fired;
  for (const char* now : {"2026-01-01T00:57:00Z", "2026-01-01T00:58:00Z", "2026-01-01T00:59:00Z",
                          "2026-01-01T01:00:00Z"}) {
    for (auto& line : describe(planner.due(at(now)))) fired.push_back(line);
  }
  // Slots at the same instant come in task-name order.
  CHECK(fired == std::vector<std::string>{"every-3m@2026-01-01T00:57:00Z schedule",
                                          "every-2m@2026-01-01T00:58:00Z schedule",
                                          "every-2m@2026-01-01T01:00:00Z schedule",
                                          "every-3m@2026-01-01T01:00:00Z schedule",
                                          "hourly@2026-01-01T01:00:00Z schedule"});
}

TEST_CASE("a slow wake within the grace still fires as schedule") {
  Planner planner;
  planner.set_tasks({make_task({"t", "0 3 * * *", "UTC", 0s})}, at("2026-01-01T00:00:00Z"));
  const auto firings = planner.due(at("2026-01-01T03:00:45Z"));
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-01-01T03:00:00Z schedule"});
}

TEST_CASE("forward jump within the catch-up window: missed slots run once, coalesced") {
  Planner planner;
  planner.set_tasks({make_task({"t", "* * * * *", "UTC", 10min})}, at("2026-01-01T00:00:00Z"));
  const auto firings = planner.due(at("2026-01-01T00:07:30Z"));  // suspended 7.5 minutes
  REQUIRE(firings.size() == 1);
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-01-01T00:07:00Z catchup"});
  CHECK(firings[0].reason ==
        "7 missed slots from 2026-01-01T00:01:00Z to 2026-01-01T00:07:00Z coalesced into one run");
  CHECK(planner.next_wake() == at("2026-01-01T00:08:00Z"));
}

TEST_CASE("forward jump past the catch-up window: older slots are skipped with a count") {
  Planner planner;
  planner.set_tasks({make_task({"t", "*/10 * * * *", "UTC", 30min})}, at("2026-01-01T00:00:00Z"));
  const auto firings = planner.due(at("2026-01-01T03:05:00Z"));
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-01-01T02:30:00Z skipped",
                                                      "t@2026-01-01T03:00:00Z catchup"});
  CHECK(firings[0].reason ==
        "missed 15 slots from 2026-01-01T00:10:00Z to 2026-01-01T02:30:00Z: older than the "
        "catch-up window (30m) when maintd could run them");
  CHECK(firings[1].reason ==
        "3 missed slots from 2026-01-01T02:40:00Z to "
        "2026-01-01T03:00:00Z coalesced into one run");
}

TEST_CASE("a late slot outside the window and no recent one: only a skip") {
  Planner planner;
  planner.set_tasks({make_task({"t", "0 3 * * *", "UTC", 0s})}, at("2026-01-01T00:00:00Z"));
  const auto firings = planner.due(at("2026-01-01T05:00:00Z"));
  CHECK(describe(firings) == std::vector<std::string>{"t@2026-01-01T03:00:00Z skipped"});
  CHECK(firings[0].reason.rfind("missed 1 slot from", 0) == 0);
  CHECK(planner.next_wake() == at("2026-01-02T03:00:00Z"));
}

TEST_CASE("backward jump: slots already fired never fire again") {
  Planner planner;
  planner.set_tasks({make_task({"t", "*/5 * * * *"})}, at("2026-01-01T00:00:00Z"));
  CHECK(planner.due(at("2026-01-01T00:10:00Z")).size() == 1);  // fires 00:10 (coalesced 2)
  // The clock steps back 20 minutes: 23:50..00:10 are not fired again.
  CHECK(planner.due(at("2025-12-31T23:50:00Z")).empty());
  CHECK(planner.due(at("2026-01-01T00:05:00Z")).empty());
  CHECK(planner.due(at("2026-01-01T00:10:00Z")).empty());
  CHECK(planner.next_wake() == at("2026-01-01T00:15:00Z"));
  CHECK(describe(planner.due(at("2026-01-01T00:15:00Z"))) ==
        std::vector<std::string>{"t@2026-01-01T00:15:00Z schedule"});
}

TEST_CASE("jitter delays the fire time by a fixed per-task offset below the jitter") {
  const auto offset = maintd::scheduler::jitter_offset("nightly-report", 60s);
  CHECK(offset >= 0s);
  CHECK(offset < 60s);
  CHECK(offset == maintd::scheduler::jitter_offset("nightly-report", 60s));  // deterministic
  CHECK(maintd::scheduler::jitter_offset("anything", 0s) == 0s);
  // Different names spread out (not a proof, a smoke test against a constant).
  std::set<long> offsets;
  for (int i = 0; i < 20; ++i) {
    offsets.insert(maintd::scheduler::jitter_offset("task-" + std::to_string(i), 60s).count());
  }
  CHECK(offsets.size() > 10);

  Planner planner;
  planner.set_tasks({make_task({"nightly-report", "0 3 * * *", "UTC", 5min, 60s})},
                    at("2026-01-01T00:00:00Z"));
  const Instant fire = at("2026-01-01T03:00:00Z") + offset;
  CHECK(planner.next_wake() == fire);
  if (offset > 0s) CHECK(planner.due(fire - 1s).empty());
  CHECK(describe(planner.due(fire)) ==
        std::vector<std::string>{"nightly-report@2026-01-01T03:00:00Z schedule"});
}

TEST_CASE("DST in Berlin: the skipped hour fires once at the change, the repeated hour once") {
  Planner planner;
  planner.set_tasks({make_task({"t", "30 2 * * *", "Europe/Berlin"})}, at("2026-03-28T12:00:00Z"));
  // 2026-03-29 02:30 does not exist in Berlin: cronie fires at the change, 01:00Z.
  CHECK(planner.next_wake() == at("2026-03-29T01:00:00Z"));
  CHECK(describe(planner.due(at("2026-03-29T01:00:00Z"))) ==
        std::vector<std::string>{"t@2026-03-29T01:00:00Z schedule"});
  planner.set_tasks({make_task({"t2", "30 2 * * *", "Europe/Berlin"})}, at("2026-10-24T12:00:00Z"));
  // 2026-10-25 02:30 happens twice: it fires at the first, 00:30Z, and not at 01:30Z.
  CHECK(planner.due(at("2026-10-25T00:30:00Z")).size() == 1);
  CHECK(planner.due(at("2026-10-25T01:30:00Z")).empty());
  CHECK(planner.next_wake() == at("2026-10-26T01:30:00Z"));
}

TEST_CASE("reload keeps the cursor of unchanged tasks and restarts changed ones from now") {
  Planner planner;
  planner.set_tasks({make_task({"same", "*/5 * * * *"}), make_task({"changed", "*/5 * * * *"})},
                    at("2026-01-01T00:00:00Z"));
  CHECK(planner.due(at("2026-01-01T00:05:00Z")).size() == 2);
  // Reloaded at 00:07 with "changed" now hourly and a new task.
  planner.set_tasks({make_task({"same", "*/5 * * * *"}), make_task({"changed", "0 * * * *"}),
                     make_task({"new", "*/5 * * * *"})},
                    at("2026-01-01T00:07:00Z"));
  CHECK(planner.next_slot("same") == at("2026-01-01T00:10:00Z"));
  CHECK(planner.next_slot("changed") == at("2026-01-01T01:00:00Z"));
  CHECK(planner.next_slot("new") == at("2026-01-01T00:10:00Z"));
  CHECK(planner.size() == 3);
}

TEST_CASE("a disabled task never fires, and re-enabled starts from now") {
  Planner planner;
  planner.set_tasks({make_task({"t", "* * * * *", "UTC", 1h, 0s, false})},
                    at("2026-01-01T00:00:00Z"));
  CHECK_FALSE(planner.next_wake());
  CHECK(planner.due(at("2026-01-01T00:30:00Z")).empty());
  planner.set_tasks({make_task({"t", "* * * * *", "UTC", 1h})}, at("2026-01-01T00:30:00Z"));
  CHECK(describe(planner.due(at("2026-01-01T00:31:00Z"))) ==
        std::vector<std::string>{"t@2026-01-01T00:31:00Z schedule"});
}

TEST_CASE("start-up after downtime: slots since the last recorded one are caught up or skipped") {
  Planner planner;
  planner.set_tasks({make_task({"t", "*/15 * * * *", "UTC", 20min})}, at("2026-01-01T02:05:00Z"),
                    {{"t", at("2026-01-01T01:00:00Z")}});
  CHECK(planner.next_wake() == at("2026-01-01T01:15:00Z"));
  CHECK(
      describe(planner.due(at("2026-01-01T02:05:00Z"))) ==
      std::vector<std::string>{"t@2026-01-01T01:30:00Z skipped", "t@2026-01-01T02:00:00Z catchup"});
}

TEST_CASE("a task that never ran does not catch up at start-up") {
  Planner planner;
  planner.set_tasks({make_task({"t", "*/15 * * * *", "UTC", 1h})}, at("2026-01-01T02:05:00Z"));
  CHECK(planner.due(at("2026-01-01T02:05:00Z")).empty());
}

TEST_CASE("retries come due at their time with their attempt") {
  Planner planner;
  planner.set_tasks({make_task({"t", "0 3 * * *"})}, at("2026-01-01T00:00:00Z"));
  planner.add_retry("t", at("2026-01-01T00:01:00Z"), 2, at("2026-01-01T00:00:00Z"));
  CHECK(planner.next_wake() == at("2026-01-01T00:01:00Z"));
  CHECK(planner.due(at("2026-01-01T00:00:59Z")).empty());
  const auto firings = planner.due(at("2026-01-01T00:01:00Z"));
  REQUIRE(firings.size() == 1);
  CHECK(firings[0].trigger == Trigger::retry);
  CHECK(firings[0].attempt == 2);
  CHECK(firings[0].reason == "attempt 2 for the slot 2026-01-01T00:00:00Z");
  // A reload that removes the task drops its retries.
  planner.add_retry("t", at("2026-01-01T00:02:00Z"), 3, at("2026-01-01T00:00:00Z"));
  planner.set_tasks({}, at("2026-01-01T00:01:30Z"));
  CHECK_FALSE(planner.next_wake());
}

// Regression (issue 17): a reload removed a task while its run was in flight; the run failed
// with retries left, the retry was planned for a task the planner no longer had, and the daemon
// aborted when it came due ("firing for an unknown task").
TEST_CASE("a retry asked for a task that is gone or disabled is refused, not planned") {
  Planner planner;
  planner.set_tasks({make_task({"t", "0 3 * * *"}),
                     make_task({.name = "off", .schedule = "0 3 * * *", .enabled = false})},
                    at("2026-01-01T00:00:00Z"));
  CHECK_FALSE(planner.add_retry("gone", at("2026-01-01T00:01:00Z"), 2, at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(planner.add_retry("off", at("2026-01-01T00:01:00Z"), 2, at("2026-01-01T00:00:00Z")));
  CHECK(planner.next_wake() == at("2026-01-01T03:00:00Z"));
  CHECK(planner.due(at("2026-01-01T00:01:00Z")).empty());
  CHECK(planner.add_retry("t", at("2026-01-01T00:01:00Z"), 2, at("2026-01-01T00:00:00Z")));
  CHECK(planner.next_wake() == at("2026-01-01T00:01:00Z"));
}

TEST_CASE("a sparse schedule far away: missed counts stay bounded") {
  Planner planner;
  planner.set_tasks({make_task({"t", "* * * * * *", "UTC", 0s})}, at("2026-01-01T00:00:00Z"));
  // A year asleep with a once-a-second schedule: 31.5 million missed slots, counted to the cap.
  const auto firings = planner.due(at("2027-01-01T00:00:00Z"));
  REQUIRE(firings.size() == 2);
  CHECK(firings[0].skipped);
  CHECK(firings[0].reason.rfind("missed more than 100000 slots", 0) == 0);
  CHECK(firings[1].trigger == Trigger::catchup);
}

// The planner's entries sit beside the task set by position (scheduler/planner.hpp); a name
// given twice must still be one task, the first, as the name index finds it.
TEST_CASE("a task name given twice is scheduled once, as its first definition") {
  Planner planner;
  planner.set_tasks({make_task({"dup", "*/2 * * * *"}), make_task({"other", "0 * * * *"}),
                     make_task({"dup", "*/5 * * * *"})},
                    at("2026-01-01T00:55:00Z"));
  CHECK(planner.next_slot("dup") == at("2026-01-01T00:56:00Z"));
  CHECK(planner.next_firing() ==
        std::pair<std::string, Instant>("dup", at("2026-01-01T00:56:00Z")));
  std::vector<std::string> fired;
  for (const char* now : {"2026-01-01T00:56:00Z", "2026-01-01T00:58:00Z", "2026-01-01T01:00:00Z"}) {
    for (auto& line : describe(planner.due(at(now)))) fired.push_back(line);
  }
  CHECK(fired == std::vector<std::string>{
                     "dup@2026-01-01T00:56:00Z schedule", "dup@2026-01-01T00:58:00Z schedule",
                     "dup@2026-01-01T01:00:00Z schedule", "other@2026-01-01T01:00:00Z schedule"});
  CHECK_FALSE(planner.next_slot("missing").has_value());
}
