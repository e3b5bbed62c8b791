// The daemon with `@every` tasks and pause_after_failures, driven with an injected clock against
// a real SQLite state database: slots on the interval's grid, a restart keeping the phase, two
// instances started apart claiming each slot once, concurrency forbid, and a failing task
// switched off through the daemon's own wiring (the launcher's last-attempt hook, the table
// re-read).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <set>
#include <thread>

#include "handlers/builtin.hpp"
#include "scheduler/daemon_fixture.hpp"
#include "scheduler/task_factory.hpp"

using maintd::Instant;
using maintd::store::RunRecord;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::DaemonFixture;
using maintd::testing::make_task;
using namespace std::chrono_literals;

namespace {

std::vector<RunRecord> runs_of(const std::vector<RunRecord>& runs, const std::string& task) {
  std::vector<RunRecord> out;
  for (const auto& run : runs) {
    if (run.task_name == task) out.push_back(run);
  }
  return out;
}

}  // namespace

TEST_CASE("daemon: an @every task runs on its grid, and a restart keeps the phase") {
  DaemonFixture f;  // now: 2026-01-01T00:00:00Z, a multiple of 90 s since the epoch
  f.now = at("2026-01-01T00:00:20Z");
  f.tasks = {make_task({.name = "every", .schedule = "@every 90s"})};
  {
    auto daemon = f.daemon();
    daemon->start(f.now);
    CHECK(daemon->next_wake() == at("2026-01-01T00:01:30Z"));
    daemon->tick(at("2026-01-01T00:01:30Z"));
    REQUIRE(daemon->wait_idle(10s));
    CHECK(daemon->status_line() == "1 task, 0 running, next: every at 2026-01-01T00:03:00Z");
  }
  // Restarted 40 s after that slot: the next slot is one interval after it, not after the start.
  f.now = at("2026-01-01T00:02:10Z");
  auto daemon = f.daemon();
  daemon->start(f.now);
  CHECK(daemon->next_wake() == at("2026-01-01T00:03:00Z"));
  daemon->tick(at("2026-01-01T00:03:00Z"));
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].scheduled_for == at("2026-01-01T00:01:30Z"));
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:03:00Z"));
  CHECK(runs[1].trigger == Trigger::schedule);
}

TEST_CASE("daemon: after downtime an @every task catches up once, coalesced") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "every", .schedule = "@every 1m", .catchup = 5min})};
  {
    auto daemon = f.daemon();
    daemon->start(f.now);
    daemon->tick(at("2026-01-01T00:01:00Z"));
    REQUIRE(daemon->wait_idle(10s));
  }
  f.now = at("2026-01-01T00:30:30Z");  // down for half an hour
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 3);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:25:00Z"));
  CHECK(runs[2].trigger == Trigger::catchup);
  CHECK(runs[2].scheduled_for == at("2026-01-01T00:30:00Z"));
  CHECK(runs[2].status == RunStatus::completed);
  CHECK(daemon->next_wake() == at("2026-01-01T00:31:00Z"));
}

TEST_CASE("daemon: two instances started apart claim each @every slot exactly once") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "every", .schedule = "@every 90s"})};
  auto first = f.daemon();
  first->start(at("2026-01-01T00:00:07Z"));
  auto second = f.daemon();
  second->start(at("2026-01-01T00:00:52Z"));
  CHECK(first->next_wake() == second->next_wake());
  for (int n = 1; n <= 4; ++n) {
    const Instant slot = at("2026-01-01T00:00:00Z") + n * 90s;
    std::jthread other([&] { second->tick(slot); });
    first->tick(slot);
    other.join();
    REQUIRE(first->wait_idle(10s));
    REQUIRE(second->wait_idle(10s));
  }
  const auto runs = f.runs();
  REQUIRE(runs.size() == 4);
  std::set<Instant> slots;
  for (const auto& run : runs) {
    CHECK(run.status == RunStatus::completed);
    slots.insert(*run.scheduled_for);
  }
  CHECK(slots.size() == 4);
}

TEST_CASE("daemon: concurrency forbid holds for @every: a slot during the run is skipped") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow", .schedule = "@every 30s", .type = "test.block"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T00:00:30Z"));
  f.wait_running(1);
  daemon->tick(at("2026-01-01T00:01:00Z"));
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:01:00Z"));
  CHECK(runs[1].error == "previous run 1 still running");
}

TEST_CASE("daemon: a task failing pause_after_failures times in a row is switched off") {
  DaemonFixture f;
  f.dir.write("maintd.yaml", "state_database: sqlite3://state.db\nschedules: [tasks.yaml]\n");
  f.dir.write("tasks.yaml",
              "tasks:\n"
              "  - {name: broken, type: test.fail, schedule: '@every 90s', "
              "pause_after_failures: 2}\n"
              "  - {name: fine, type: debug.noop, schedule: '@every 90s'}\n");
  auto registry = maintd::handlers::builtin_registry();
  registry.add_handler(
      {"test.fail", "always fails", {}, [](maintd::registry::HandlerContext&) -> nlohmann::json {
         throw std::runtime_error("it broke");
       }});
  maintd::scheduler::Daemon daemon(f.config, f.open(), f.file_options(registry));
  REQUIRE(daemon.reload(f.now));  // reads maintd.yaml and syncs the tasks into the table
  daemon.tick(at("2026-01-01T00:01:30Z"));
  REQUIRE(daemon.wait_idle(10s));
  daemon.tick(at("2026-01-01T00:03:00Z"));
  REQUIRE(daemon.wait_idle(10s));
  // The daemon asked its loop to re-read the tasks; driven step by step here, the poll does it.
  daemon.refresh_table_tasks(at("2026-01-01T00:03:01Z"));
  CHECK(daemon.status_line() == "2 tasks, 0 running, next: fine at 2026-01-01T00:04:30Z");
  daemon.tick(at("2026-01-01T00:04:30Z"));
  REQUIRE(daemon.wait_idle(10s));

  const auto all = f.runs();
  const auto broken = runs_of(all, "broken");
  REQUIRE(broken.size() == 2);  // nothing after the pause
  CHECK(broken[0].status == RunStatus::failed);
  CHECK(broken[1].status == RunStatus::failed);
  const auto events = f.events(broken[1].id);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back() ==
        "paused: paused after 2 consecutive failed or timed-out runs (pause_after_failures: 2): "
        "the task is disabled until 'maintd task enable broken'; last error: it broke");
  CHECK(runs_of(all, "fine").size() == 3);
  // Off the way `maintd task disable` leaves it.
  soci::session sql(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string());
  int override_value = -1;
  sql << "SELECT enabled_override FROM maintd_tasks WHERE task_id = (SELECT id FROM "
         "scheduled_tasks WHERE name = 'broken')",
      soci::into(override_value);
  CHECK(override_value == 0);
}
