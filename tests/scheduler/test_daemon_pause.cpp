// Pauses and one-off runs in the daemon, driven with an injected clock on both state database
// backends: a pause records each task's slots once and starts nothing, on every daemon sharing
// the database; it ends by itself or by a resume, and the slots inside it are never caught up;
// a one-off run starts at its time exactly once, waits out a pause, is skipped when too late,
// and never starts once cancelled.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "scheduler/daemon_fixture.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/task_factory.hpp"
#include "store/migrations.hpp"
#include "store/pause_store.hpp"
#include "support/backends.hpp"

using maintd::Instant;
using maintd::store::RunRecord;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::DaemonFixture;
using maintd::testing::make_task;
using namespace std::chrono_literals;
namespace store = maintd::store;

namespace {

// The fixture's daemon on `Backend`'s state database, with test.count (counts its runs).
template <class Backend>
struct PauseFixture : DaemonFixture {
  Backend backend;
  std::shared_ptr<std::atomic<int>> executions = std::make_shared<std::atomic<int>>(0);

  PauseFixture() {
    config->state_database = backend.url();
    store::migrate(*open());
    auto registry = std::make_shared<maintd::registry::Registry>(*config->registry);
    registry->add_handler({"test.count",
                           "counts its runs",
                           {},
                           [count = executions](maintd::registry::HandlerContext&) {
                             ++*count;
                             return nlohmann::json::object();
                           }});
    config->registry = registry;
  }

  store::PauseStore pauses() {
    return store::PauseStore(
        open(), [this] { return std::chrono::time_point_cast<std::chrono::milliseconds>(now); });
  }
  store::RunStore run_store() { return store::RunStore(open(), store::system_clock()); }

  std::vector<RunRecord> of(const std::string& task) {
    std::vector<RunRecord> out;
    for (auto& run : runs()) {
      if (run.task_name == task) out.push_back(run);
    }
    return out;
  }

  // Records a one-off run of `task` due at `when` (an instant, or +seconds from now), as
  // `maintd run TASK --at` does (service/one_off.hpp; tested in tests/cli and tests/service).
  store::RunId one_off(const std::string& task, const std::string& when) {
    store::NewRun run;
    run.task_name = task;
    run.task_type = "test.count";
    for (const auto& t : tasks) {
      if (t.name == task) run.task_type = t.type;
    }
    run.trigger = Trigger::once;
    run.due_at =
        when.front() == '+' ? now + std::chrono::seconds(std::stoi(when.substr(1))) : at(when);
    return run_store().create_run(run);
  }
};

}  // namespace

TEST_CASE_TEMPLATE(
    "a pause starts nothing, records each task's slots once, and a resume goes on "
    "from the next slot",
    Backend, MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "minutely", .schedule = "* * * * *"}),
             make_task({.name = "two", .schedule = "*/2 * * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  f.now = at("2026-01-01T00:00:30Z");
  auto pauses = f.pauses();
  pauses.pause({.by = "alice@db1", .reason = "deploy"});
  for (const char* slot : {"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z",
                           "2026-01-01T00:04:00Z"}) {
    f.now = at(slot);
    daemon->tick(f.now);
  }
  REQUIRE(daemon->wait_idle(10s));
  // One skipped run per task for the whole pause, moved on to its latest slot.
  auto minutely = f.of("minutely");
  REQUIRE(minutely.size() == 1);
  CHECK(minutely[0].status == RunStatus::skipped);
  CHECK(minutely[0].scheduled_for == at("2026-01-01T00:04:00Z"));
  CHECK(minutely[0].result["slots"] == 4);
  CHECK(minutely[0].result["first_slot"] == "2026-01-01T00:01:00.000Z");
  CHECK(minutely[0].error ==
        "paused by alice@db1 since 2026-01-01T00:00:30Z: deploy; 4 slots from "
        "2026-01-01T00:01:00Z to 2026-01-01T00:04:00Z were not run");
  const auto two = f.of("two");
  REQUIRE(two.size() == 1);
  CHECK(two[0].result["slots"] == 2);
  CHECK(daemon->status_line().find(", paused by alice@db1 since") != std::string::npos);

  // Resumed: the next slot runs, the paused ones are not caught up.
  f.now = at("2026-01-01T00:04:30Z");
  REQUIRE(pauses.resume("alice@db1"));
  daemon->pause_or_one_offs_changed();
  f.now = at("2026-01-01T00:05:00Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  minutely = f.of("minutely");
  REQUIRE(minutely.size() == 2);
  CHECK(minutely[1].status == RunStatus::completed);
  CHECK(minutely[1].trigger == Trigger::schedule);
  CHECK(minutely[1].scheduled_for == at("2026-01-01T00:05:00Z"));
}

TEST_CASE_TEMPLATE("two daemons paused record each task's pause once", Backend, MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "minutely", .schedule = "* * * * *"})};
  auto first = f.daemon();
  auto second = f.daemon();
  first->start(f.now);
  second->start(f.now);
  f.pauses().pause({.by = "ci"});
  for (int minute = 1; minute <= 3; ++minute) {
    f.now = at("2026-01-01T00:00:00Z") + std::chrono::minutes(minute);
    std::jthread other([&] { second->tick(f.now); });
    first->tick(f.now);
    other.join();
  }
  const auto runs = f.of("minutely");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::skipped);
  CHECK(runs[0].scheduled_for == at("2026-01-01T00:03:00Z"));
  CHECK(runs[0].result["slots"] == 3);
  CHECK(*f.executions == 0);
}

TEST_CASE_TEMPLATE("a pause with an end ends by itself, its slots are not caught up", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "minutely", .schedule = "* * * * *", .catchup = 1h})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  f.pauses().pause({.by = "ci", .until = store::Timestamp(at("2026-01-01T00:02:30Z"))});
  daemon->pause_or_one_offs_changed();
  // The loop wakes at the pause's end at the latest.
  f.now = at("2026-01-01T00:01:00Z");
  daemon->tick(f.now);
  f.now = at("2026-01-01T00:02:00Z");
  daemon->tick(f.now);
  f.now = at("2026-01-01T00:03:00Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.of("minutely");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == RunStatus::skipped);
  CHECK(runs[0].result["slots"] == 2);
  CHECK(runs[1].status == RunStatus::completed);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:03:00Z"));
}

TEST_CASE_TEMPLATE("a daemon down during a pause does not catch up the slots inside it", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "minutely", .schedule = "* * * * *", .catchup = 1h})};
  {
    auto daemon = f.daemon();
    daemon->start(f.now);
    f.now = at("2026-01-01T00:01:00Z");
    daemon->tick(f.now);
    REQUIRE(daemon->wait_idle(10s));
  }
  // Down from 00:01:30; paused from 00:01:40 to 00:03:30 meanwhile.
  f.now = at("2026-01-01T00:01:40Z");
  auto pauses = f.pauses();
  pauses.pause({.by = "ci"});
  f.now = at("2026-01-01T00:03:30Z");
  REQUIRE(pauses.resume("ci"));
  // Back at 00:03:40: the missed slots 00:02 and 00:03 fell inside the pause.
  f.now = at("2026-01-01T00:03:40Z");
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  auto runs = f.of("minutely");
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].scheduled_for == at("2026-01-01T00:03:00Z"));
  CHECK(runs[1].result["paused"] == true);
  // The next slot after it runs.
  f.now = at("2026-01-01T00:04:00Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  runs = f.of("minutely");
  REQUIRE(runs.size() == 3);
  CHECK(runs[2].status == RunStatus::completed);
}

TEST_CASE_TEMPLATE("a manual run through the daemon is refused while paused unless forced", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "t", .schedule = "@daily"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  f.pauses().pause({.by = "alice", .reason = "deploy"});
  const auto refused = daemon->run_now({.task = "t"});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().reason == maintd::scheduler::RunNowRefusal::Reason::paused);
  CHECK(refused.error().message.find("paused by alice since") != std::string::npos);
  CHECK(f.runs().empty());
  const auto forced = daemon->run_now({.task = "t", .force = true});
  REQUIRE(forced.has_value());
  f.wait_status(forced.value(), RunStatus::completed);
}

TEST_CASE_TEMPLATE("two daemons start a one-off run at its time exactly once", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "count", .schedule = "@yearly", .type = "test.count"})};
  const auto id = f.one_off("count", "+90");
  auto first = f.daemon();
  auto second = f.daemon();
  first->start(f.now);
  second->start(f.now);
  // Planned: both wake at its time.
  CHECK(first->waiting_one_offs().size() == 1);
  f.now = at("2026-01-01T00:01:29Z");
  first->tick(f.now);
  second->tick(f.now);
  CHECK(f.run_store().get(id)->status == RunStatus::pending);
  f.now = at("2026-01-01T00:01:30Z");
  {
    std::jthread other([&] { second->tick(f.now); });
    first->tick(f.now);
  }
  REQUIRE(first->wait_idle(10s));
  REQUIRE(second->wait_idle(10s));
  const auto run = f.run_store().get(id);
  REQUIRE(run.has_value());
  CHECK(run->status == RunStatus::completed);
  CHECK(run->trigger == Trigger::once);
  CHECK(*f.executions == 1);
  // Later wakes start nothing again.
  f.now = at("2026-01-01T00:02:00Z");
  first->tick(f.now);
  second->tick(f.now);
  REQUIRE(first->wait_idle(10s));
  CHECK(*f.executions == 1);
  CHECK(f.runs().size() == 1);
}

TEST_CASE_TEMPLATE("a one-off run due while paused waits for the pause to end", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "count", .schedule = "@yearly", .type = "test.count"})};
  const auto id = f.one_off("count", "2026-01-01T00:01:00Z");
  auto daemon = f.daemon();
  daemon->start(f.now);
  auto pauses = f.pauses();
  pauses.pause({.by = "ci"});
  daemon->pause_or_one_offs_changed();
  // Its catch-up window (5 min) passes during the pause: it counts from the pause's end.
  f.now = at("2026-01-01T00:10:00Z");
  daemon->tick(f.now);
  CHECK(f.run_store().get(id)->status == RunStatus::pending);
  REQUIRE(pauses.resume("ci"));
  daemon->pause_or_one_offs_changed();
  f.now = at("2026-01-01T00:10:01Z");
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  f.wait_status(id, RunStatus::completed);
  CHECK(*f.executions == 1);
}

TEST_CASE_TEMPLATE(
    "a one-off run too late is skipped with the reason, a cancelled one never starts", Backend,
    MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "count", .schedule = "@yearly", .type = "test.count"})};
  const auto late = f.one_off("count", "2026-01-01T00:01:00Z");
  const auto cancelled = f.one_off("count", "2026-01-01T00:20:00Z");
  auto runs = f.run_store();
  CHECK(maintd::scheduler::cancel_in_database(runs, cancelled, "test").result ==
        maintd::scheduler::CancelOutcome::Result::cancelled);
  // No daemon was up until 00:30: the first is 29 minutes late (window 5 min).
  f.now = at("2026-01-01T00:30:00Z");
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(f.now);
  REQUIRE(daemon->wait_idle(10s));
  const auto skipped = runs.get(late);
  CHECK(skipped->status == RunStatus::skipped);
  CHECK(skipped->error.find("one-off run due at 2026-01-01T00:01:00Z not started: 29m late") == 0);
  CHECK(runs.get(cancelled)->status == RunStatus::cancelled);
  CHECK(*f.executions == 0);
  CHECK(daemon->waiting_one_offs().empty());
}

TEST_CASE_TEMPLATE("a one-off run under concurrency forbid is skipped while one runs", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  f.tasks = {make_task({.name = "blocker", .schedule = "@yearly", .type = "test.block"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  const auto manual = daemon->run_now({.task = "blocker"});
  REQUIRE(manual.has_value());
  f.wait_running(manual.value());
  const auto id = f.one_off("blocker", "+60");
  daemon->pause_or_one_offs_changed();
  f.now = at("2026-01-01T00:01:00Z");
  daemon->tick(f.now);
  const auto run = f.run_store().get(id);
  CHECK(run->status == RunStatus::skipped);
  CHECK(run->error.find("one-off run not started: previous run") == 0);
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
}
