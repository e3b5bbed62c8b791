// One-off runs in the run store, on both backends: recorded pending with trigger once and a
// due_at, not in progress while they wait (no lease, no "last run", no forbid), started by
// exactly one of two instances, cancelled or skipped before they start.
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using store::RunStatus;

namespace {

store::NewRun one_off(const std::string& task, const std::string& due) {
  store::NewRun run;
  run.task_name = task;
  run.task_type = "debug.noop";
  run.trigger = store::Trigger::once;
  run.due_at = instant(due);
  return run;
}

}  // namespace

TEST_CASE_TEMPLATE("store: one-off runs: waiting, they are listed and hold nothing", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock;  // 2026-03-29: long before the database's own clock, which leases compare
  auto db = open_migrated(backend);
  store::RunStore runs(db, clock.clock());
  const auto later = runs.create_run(one_off("nightly", "2026-03-29T03:00:00Z"));
  const auto sooner = runs.create_run(one_off("nightly", "2026-03-29T02:00:00Z"));
  const auto other = runs.create_run(one_off("hourly", "2026-03-29T02:30:00Z"));

  const auto run = runs.get(later);
  REQUIRE(run.has_value());
  CHECK(run->status == RunStatus::pending);
  CHECK(run->trigger == store::Trigger::once);
  CHECK_FALSE(run->scheduled_for.has_value());  // no slot: never collides with one
  REQUIRE(run->due_at.has_value());
  CHECK(format_utc(*run->due_at) == "2026-03-29T03:00:00Z");

  const auto all = runs.pending_one_offs();
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == sooner);
  CHECK(all[1].id == other);
  CHECK(all[2].id == later);
  CHECK(runs.pending_one_offs(std::string("hourly")).size() == 1);
  CHECK(runs.pending_one_offs(std::nullopt, 1).size() == 1);

  // Waiting is not running: no forbid, no lease to expire (its created_at is months before the
  // database's clock), not the task's last run.
  CHECK(runs.active_runs().empty());
  CHECK(runs.active_runs("nightly").empty());
  CHECK(runs.abandon_expired(1s).empty());
  CHECK(runs.latest_runs().empty());
  CHECK(runs.history({.trigger = store::Trigger::once}).size() == 3);

  // A slot of the same task at the same instant is claimed as always.
  store::NewRun slot;
  slot.task_name = "nightly";
  slot.task_type = "debug.noop";
  slot.trigger = store::Trigger::schedule;
  slot.scheduled_for = instant("2026-03-29T03:00:00Z");
  CHECK(runs.claim_slot(slot).has_value());
}

TEST_CASE_TEMPLATE("store: one-off runs: of two instances starting one, exactly one wins", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock;
  store::RunStore a(open_migrated(backend), clock.clock());
  store::RunStore b(open(backend), clock.clock());
  const auto id = a.create_run(one_off("nightly", "2026-03-29T02:00:00Z"));
  const bool a_won = a.start(id, {.instance_id = "a", .host = "h", .pid = 1});
  const bool b_won = b.start(id, {.instance_id = "b", .host = "h", .pid = 2});
  CHECK(a_won != b_won);
  const auto run = b.get(id);
  REQUIRE(run.has_value());
  CHECK(run->status == RunStatus::running);
  CHECK(run->instance_id == (a_won ? "a" : "b"));
  CHECK(b.pending_one_offs().empty());
  // Started, it is in progress like any run.
  CHECK(a.active_runs("nightly").size() == 1);
}

TEST_CASE_TEMPLATE("store: one-off runs: cancelled or skipped before they start, they never do",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock;
  store::RunStore runs(open_migrated(backend), clock.clock());
  const auto cancelled = runs.create_run(one_off("nightly", "2026-03-29T02:00:00Z"));
  const auto skipped = runs.create_run(one_off("nightly", "2026-03-29T02:00:00Z"));
  CHECK(runs.transition(cancelled, RunStatus::pending, RunStatus::cancelled, "by an operator"));
  CHECK(runs.transition(skipped, RunStatus::pending, RunStatus::skipped, "too late"));
  CHECK_FALSE(runs.start(cancelled, {.instance_id = "a", .host = "h", .pid = 1}));
  CHECK_FALSE(runs.start(skipped, {.instance_id = "a", .host = "h", .pid = 1}));
  CHECK(runs.get(cancelled)->status == RunStatus::cancelled);
  CHECK(runs.get(skipped)->status == RunStatus::skipped);
  CHECK(runs.get(skipped)->finished_at.has_value());
  CHECK(runs.pending_one_offs().empty());
}
