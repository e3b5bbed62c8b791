// The daemon's loop steps (start, tick, reload) driven with an injected clock against a real
// SQLite state database: claims, the concurrency policies, retries, catch-up after downtime,
// two instances on one database, and reloads.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <thread>

#include "handlers/builtin.hpp"
#include "scheduler/daemon_fixture.hpp"
#include "scheduler/task_factory.hpp"
#include "store/migrations.hpp"
#include "support/captured_log.hpp"
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
  maintd::scheduler::DaemonOptions options = f.file_options(builtin);
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

// Regression (issue 17): a reload removed a task while its run was in flight; the run failed
// with retries left, and when the retry came due the daemon aborted with "firing for an unknown
// task flaky" (exit 134). Disabling the task in flight is the same case.
TEST_CASE(
    "a task removed or disabled while its run is in flight is not retried, and the loop goes on") {
  for (const bool removed : {true, false}) {
    CAPTURE(removed);
    DaemonFixture f;
    const auto flaky = TaskSpec{.name = "flaky",
                                .schedule = "0 3 * * *",
                                .type = "test.gate",
                                .retries = 2,
                                .retry_backoff = 30s};
    const auto steady = make_task({.name = "steady", .schedule = "*/5 3 * * *"});
    f.tasks = {make_task(flaky), steady};
    auto daemon = f.daemon();
    daemon->start(f.now);
    f.now = at("2026-01-01T03:00:00Z");
    daemon->tick(f.now);  // flaky's run waits at the gate

    auto changed = flaky;
    changed.enabled = false;
    f.tasks = removed ? std::vector{steady} : std::vector{make_task(changed), steady};
    daemon->refresh_table_tasks(f.now);
    f.gate.set_value();  // flaky's run fails now, with two retries left
    REQUIRE(daemon->wait_idle(10s));
    CHECK(daemon->next_wake() == at("2026-01-01T03:05:00Z"));  // no retry at 03:00:30

    f.now = at("2026-01-01T03:00:30Z");
    daemon->tick(f.now);
    f.now = at("2026-01-01T03:05:00Z");
    daemon->tick(f.now);
    REQUIRE(daemon->wait_idle(10s));
    std::vector<std::string> seen;
    for (const auto& run : f.runs()) {
      seen.push_back(run.task_name + "@" + maintd::format_utc(*run.scheduled_for) + " " +
                     std::string(to_string(run.status)));
    }
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{"flaky@2026-01-01T03:00:00Z failed",
                                           "steady@2026-01-01T03:00:00Z completed",
                                           "steady@2026-01-01T03:05:00Z completed"});
  }
}

// The second path of the same class: a slot held back while the state database was unavailable
// belongs to a task that a reload removes before the database is back.
TEST_CASE("a slot held back by an unavailable state database is dropped if its task went away") {
  DaemonFixture f;
  f.database_options.busy_timeout = 100ms;
  f.tasks = {make_task({.name = "gone", .schedule = "0 3 * * *"}),
             make_task({.name = "kept", .schedule = "0 3 * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  {
    // Another writer holds SQLite's write lock past the busy timeout: both claims fail.
    soci::session writer(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string());
    writer << "BEGIN IMMEDIATE";
    f.now = at("2026-01-01T03:00:00Z");
    daemon->tick(f.now);
    REQUIRE(daemon->wait_idle(10s));
    writer << "ROLLBACK";
  }
  CHECK(f.runs().empty());
  f.tasks = {make_task({.name = "kept", .schedule = "0 3 * * *"})};
  daemon->refresh_table_tasks(f.now);
  f.now = at("2026-01-01T03:00:05Z");
  daemon->tick(f.now);  // gone's held firing: dropped, kept's: claimed and run
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].task_name == "kept");
  CHECK(runs[0].scheduled_for == at("2026-01-01T03:00:00Z"));
  CHECK(runs[0].status == RunStatus::completed);
}

// Whatever a task loader throws (a row nobody foresaw, a bug), a reload and a poll keep the
// previous tasks; they used to let anything but a StoreError out of the loop.
TEST_CASE("a task loader that throws anything keeps the previous tasks on reload and poll") {
  DaemonFixture f;
  f.dir.write("maintd.yaml", "state_database: sqlite3://state.db\nschedules: [tasks.yaml]\n");
  f.dir.write("tasks.yaml", "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n");
  const auto builtin = maintd::handlers::builtin_registry();
  int loads = 0;
  maintd::scheduler::DaemonOptions options = f.file_options(builtin);
  options.load_tasks = [&](maintd::store::TaskTable&, const maintd::config::Config& config) {
    if (++loads > 1) throw std::runtime_error("a row nobody foresaw");
    return maintd::tasks::TaskSet(config.tasks);
  };
  maintd::scheduler::Daemon daemon(f.config, f.open(), options);
  REQUIRE(daemon.reload(f.now));
  CHECK(daemon.status_line() == "1 task, 0 running, next: a at 2026-01-01T01:00:00Z");
  CHECK_FALSE(daemon.reload(f.now));
  daemon.refresh_table_tasks(f.now);
  CHECK(loads == 3);
  CHECK(daemon.status_line() == "1 task, 0 running, next: a at 2026-01-01T01:00:00Z");
}

// Regression (issue 24): a daemon killed with kill -9 during a long run of a forbid task, and
// restarted after the lease, recorded the catch-up run for the missed slots "skipped: previous
// run 1 still running" and marked run 1 abandoned 14 ms later: the missed slots never ran.
// A start marks the expired runs abandoned before it plans anything.
TEST_CASE("a restart marks expired runs abandoned before it plans the catch-up of missed slots") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "*/5 * * * *", .catchup = 10min})};
  maintd::store::RunId crashed = 0;
  {
    // What the killed daemon left: run 1 of slot 02:55 `running`, its heartbeat an hour old.
    maintd::store::RunStore store(f.open(), maintd::store::system_clock());
    maintd::store::NewRun run;
    run.task_name = "t";
    run.task_type = "debug.noop";
    run.trigger = Trigger::schedule;
    run.scheduled_for = at("2026-01-01T02:55:00Z");
    crashed = store.claim_slot(run).value();
    REQUIRE(store.start(crashed, {"dead", "host", 1}));
    soci::session sql(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string());
    sql << "UPDATE maintd_runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
           "'-3600 seconds') WHERE id = "
        << crashed;
  }
  f.now = at("2026-01-01T03:07:00Z");
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].id == crashed);
  CHECK(runs[0].status == RunStatus::abandoned);
  CHECK(runs[1].trigger == Trigger::catchup);
  CHECK(runs[1].scheduled_for == at("2026-01-01T03:05:00Z"));
  CHECK(runs[1].status == RunStatus::completed);
}

// Regression (issue 24): a reload with an emptied schedule file dropped every task with an info
// line ("reloaded: 0 tasks"). It warns, naming the file and the tasks that went away.
TEST_CASE("a reload that drops tasks warns, naming them and the empty file") {
  DaemonFixture f;
  f.dir.write("maintd.yaml", "state_database: sqlite3://state.db\nschedules: [tasks.yaml]\n");
  f.dir.write("tasks.yaml",
              "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n"
              "  - {name: b, type: debug.noop, schedule: '@daily'}\n");
  const auto builtin = maintd::handlers::builtin_registry();
  maintd::scheduler::DaemonOptions options = f.file_options(builtin);
  maintd::scheduler::Daemon daemon(f.config, f.open(), options);
  REQUIRE(daemon.reload(f.now));

  maintd::testing::CapturedLog log;
  f.dir.write("tasks.yaml", "");
  REQUIRE(daemon.reload(f.now));
  CHECK(daemon.status_line() == "0 tasks, 0 running, nothing scheduled");
  const auto warnings = log.warnings();
  INFO(log.all());
  CHECK(std::find(warnings.begin(), warnings.end(),
                  "reload: 2 tasks are gone from the configuration and no longer scheduled: a, "
                  "b") != warnings.end());
  CHECK(log.all().find("tasks.yaml: warning: the file is empty: no tasks") != std::string::npos);
}
