// The daemon's loop steps (start, tick, reload) driven with an injected clock against a real
// SQLite state database: claims, the concurrency policies, retries, catch-up after downtime,
// two instances on one database, and reloads.
#include <doctest/doctest.h>

#include <condition_variable>
#include <thread>

#include "handlers/builtin.hpp"
#include "scheduler/daemon_fixture.hpp"
#include "scheduler/task_factory.hpp"
#include "store/migrations.hpp"
#include "support/temp_dir.hpp"

using maintd::Instant;
using maintd::store::RunRecord;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::DaemonFixture;
using maintd::testing::make_task;
using maintd::testing::TaskSpec;
using maintd::testing::TempDir;
using namespace std::chrono_literals;

TEST_CASE("a due slot is claimed and run with trigger schedule") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "*/5 * * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  CHECK(daemon->next_wake() == at("2026-01-01T00:05:00Z"));
  daemon->tick(at("2026-01-01T00:04:59Z"));
  CHECK(f.runs().empty());
  daemon->tick(at("2026-01-01T00:05:00Z"));
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].task_name == "t");
  CHECK(runs[0].trigger == Trigger::schedule);
  CHECK(runs[0].scheduled_for == at("2026-01-01T00:05:00Z"));
  CHECK(runs[0].status == RunStatus::completed);
  CHECK(daemon->status_line() == "1 task, 0 running, next: t at 2026-01-01T00:10:00Z");
}

TEST_CASE("two instances on one state database run each slot exactly once") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "a", .schedule = "* * * * *"}),
             make_task({.name = "b", .schedule = "*/2 * * * *"})};
  auto first = f.daemon();
  auto second = f.daemon();
  first->start(f.now);
  second->start(f.now);
  for (int minute = 1; minute <= 6; ++minute) {
    const Instant slot = f.now + std::chrono::minutes(minute);
    // Both wake for the same slot; they race on the insert.
    std::jthread other([&] { second->tick(slot); });
    first->tick(slot);
    other.join();
    REQUIRE(first->wait_idle(10s));
    REQUIRE(second->wait_idle(10s));
  }
  const auto runs = f.runs();
  CHECK(runs.size() == 6 + 3);
  std::set<std::pair<std::string, Instant>> slots;
  for (const auto& run : runs) {
    CHECK(run.status == RunStatus::completed);
    slots.emplace(run.task_name, *run.scheduled_for);
  }
  CHECK(slots.size() == runs.size());
}

TEST_CASE("concurrency forbid: a slot while the previous run is going is recorded as skipped") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow", .schedule = "* * * * *", .type = "test.block"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T00:01:00Z"));
  f.wait_running(1);
  daemon->tick(at("2026-01-01T00:02:00Z"));
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == RunStatus::cancelled);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:02:00Z"));
  CHECK(runs[1].error == "previous run 1 still running");
  CHECK(runs[1].finished_at);
}

TEST_CASE("concurrency replace: the previous run is cancelled and the new one runs") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow",
                        .schedule = "* * * * *",
                        .type = "test.block",
                        .concurrency = maintd::config::Concurrency::replace})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T00:01:00Z"));
  f.wait_running(1);
  daemon->tick(at("2026-01-01T00:02:00Z"));
  f.wait_running(2);
  f.wait_status(1, RunStatus::cancelled);  // stopped by the replacement, recorded by its worker
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
  CHECK(f.runs()[1].status == RunStatus::cancelled);
}

TEST_CASE("concurrency allow: runs overlap") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow",
                        .schedule = "* * * * *",
                        .type = "test.block",
                        .concurrency = maintd::config::Concurrency::allow})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T00:01:00Z"));
  daemon->tick(at("2026-01-01T00:02:00Z"));
  f.wait_running(1);
  f.wait_running(2);
  CHECK(daemon->running() == 2);
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
}

TEST_CASE("a failing run is retried with exponential backoff, then given up") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "flaky",
                        .schedule = "0 3 * * *",
                        .type = "test.fail",
                        .retries = 2,
                        .retry_backoff = 30s})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  f.now = at("2026-01-01T03:00:00Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->next_wake() == at("2026-01-01T03:00:30Z"));  // 30s * 2^0
  f.now = at("2026-01-01T03:00:30Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->next_wake() == at("2026-01-01T03:01:30Z"));  // 30s * 2^1
  f.now = at("2026-01-01T03:01:30Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->next_wake() == at("2026-01-02T03:00:00Z"));  // no retry after the last attempt

  const auto runs = f.runs();
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].trigger == Trigger::schedule);
  CHECK(runs[1].trigger == Trigger::retry);
  CHECK(runs[1].attempt == 2);
  CHECK(runs[2].attempt == 3);
  for (const auto& run : runs) CHECK(run.status == RunStatus::failed);
  CHECK(f.events(runs[1].id).front() == "retry: attempt 2 for the slot 2026-01-01T03:00:00Z");
}

TEST_CASE("after downtime, missed slots are caught up once and older ones recorded skipped") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "*/5 * * * *", .catchup = 10min})};
  {
    auto before = f.daemon();
    before->start(f.now);
    before->tick(at("2026-01-01T00:05:00Z"));
    REQUIRE(before->wait_idle(10s));
  }
  // Down from 00:05 to 00:31: 00:10 and 00:15 are older than the window, 00:25 and 00:30 not.
  f.now = at("2026-01-01T00:31:00Z");
  auto after = f.daemon();
  after->start(f.now);
  after->tick(f.now);
  REQUIRE(after->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 3);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:20:00Z"));
  CHECK(runs[1].error.rfind("missed 3 slots from 2026-01-01T00:10:00Z to 2026-01-01T00:20:00Z",
                            0) == 0);
  CHECK(runs[2].trigger == Trigger::catchup);
  CHECK(runs[2].scheduled_for == at("2026-01-01T00:30:00Z"));
  CHECK(runs[2].status == RunStatus::completed);
  CHECK(f.events(runs[2].id).front() ==
        "catchup: 2 missed slots from 2026-01-01T00:25:00Z to 2026-01-01T00:30:00Z coalesced "
        "into one run");
}

TEST_CASE("a reload with an invalid file keeps the previous tasks") {
  DaemonFixture f;
  f.dir.write("maintd.yaml", "state_database: sqlite3://state.db\nschedules: [tasks.yaml]\n");
  f.dir.write("tasks.yaml", "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n");
  const auto builtin = maintd::handlers::builtin_registry();
  maintd::scheduler::DaemonOptions options;
  options.config_path = f.dir.path() / "maintd.yaml";
  options.handlers = &builtin;
  options.env = [](const std::string&) { return std::nullopt; };
  options.now = [&] { return f.now; };
  maintd::scheduler::Daemon daemon(f.config, f.open(), options);
  REQUIRE(daemon.reload(f.now));
  CHECK(daemon.status_line() == "1 task, 0 running, next: a at 2026-01-01T01:00:00Z");

  f.dir.write("tasks.yaml",
              "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n"
              "  - {name: b, type: debug.noop, schedule: '61 * * * *'}\n");
  CHECK_FALSE(daemon.reload(f.now));
  CHECK(daemon.status_line() == "1 task, 0 running, next: a at 2026-01-01T01:00:00Z");

  f.dir.write("tasks.yaml",
              "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n"
              "  - {name: b, type: debug.noop, schedule: '*/10 * * * *'}\n");
  REQUIRE(daemon.reload(f.now));
  CHECK(daemon.status_line() == "2 tasks, 0 running, next: b at 2026-01-01T00:10:00Z");
}
