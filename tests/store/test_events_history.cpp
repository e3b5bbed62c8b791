// Run events (order, separation, cascade delete), history with its filters, active runs.
#include <fmt/format.h>

#include <algorithm>

#include "store/store_error.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using store::RunStatus;

namespace {

store::RunId new_run(store::RunStore& runs, const std::string& task) {
  store::NewRun run;
  run.task_name = task;
  run.task_type = "debug.noop";
  return runs.create_run(run);
}

std::vector<store::RunId> ids(const std::vector<store::RunRecord>& records) {
  std::vector<store::RunId> out;
  for (const auto& record : records) out.push_back(record.id);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("store: events: read back in the order written, per run, deleted with their run",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  const store::RunId a = new_run(runs, "a.task");
  const store::RunId b = new_run(runs, "b.task");
  CHECK(runs.events(a).empty());
  for (int i = 0; i < 5; ++i) {
    runs.add_event(a, "info", "batch", fmt::format("batch {}", i));
    runs.add_event(b, "debug", "tick", fmt::format("tick {}", i));
    clock.advance(std::chrono::milliseconds(10));
  }
  runs.add_event(a, "error", "complete", "it's done: 'quotes', \"double\", ünïcode\nnewline");

  const auto events = runs.events(a);
  REQUIRE(events.size() == 6);
  for (int i = 0; i < 5; ++i) {
    CHECK(events[i].run_id == a);
    CHECK(events[i].level == "info");
    CHECK(events[i].event == "batch");
    CHECK(events[i].message == fmt::format("batch {}", i));
    CHECK(events[i].at ==
          TestClock::parse("2026-03-29T00:00:00.000Z") + std::chrono::milliseconds(10 * i));
    if (i > 0) CHECK(events[i].id > events[i - 1].id);
  }
  CHECK(events[5].level == "error");
  CHECK(events[5].message == "it's done: 'quotes', \"double\", ünïcode\nnewline");
  CHECK(runs.events(b).size() == 5);

  // Deleting a run (retention) takes its events along; the other run's stay.
  {
    soci::session sql(db->pool());
    sql << "DELETE FROM maintd_runs WHERE id = :id", soci::use(a);
  }
  CHECK(runs.events(a).empty());
  CHECK(runs.events(b).size() == 5);
  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_run_events") == 5);
}

TEST_CASE_TEMPLATE("store: events: an event for a run that does not exist is refused", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  CHECK_THROWS_AS(runs.add_event(12345, "info", "start", "nobody"), store::StoreError);
}

TEST_CASE_TEMPLATE("store: history: newest first, filtered by task, status, since and limit",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  // a1 pending, b1 running, a2 completed, a3 failed, b2 completed; one minute apart.
  const store::RunId a1 = new_run(runs, "a.task");
  clock.advance(std::chrono::minutes(1));
  const store::RunId b1 = new_run(runs, "b.task");
  REQUIRE(runs.start(b1, {"i", "h", 1}));
  clock.advance(std::chrono::minutes(1));
  const store::RunId a2 = new_run(runs, "a.task");
  REQUIRE(runs.start(a2, {"i", "h", 1}));
  REQUIRE(runs.finish(a2, RunStatus::completed, nullptr, ""));
  clock.advance(std::chrono::minutes(1));
  const store::RunId a3 = new_run(runs, "a.task");
  REQUIRE(runs.start(a3, {"i", "h", 1}));
  REQUIRE(runs.finish(a3, RunStatus::failed, nullptr, "boom"));
  clock.advance(std::chrono::minutes(1));
  const store::RunId b2 = new_run(runs, "b.task");
  REQUIRE(runs.start(b2, {"i", "h", 1}));
  REQUIRE(runs.finish(b2, RunStatus::completed, nullptr, ""));

  using Ids = std::vector<store::RunId>;
  CHECK(ids(runs.history({})) == Ids{b2, a3, a2, b1, a1});
  CHECK(ids(runs.history({.task = "a.task"})) == Ids{a3, a2, a1});
  CHECK(ids(runs.history({.task = "nope.task"})).empty());
  CHECK(ids(runs.history({.status = RunStatus::completed})) == Ids{b2, a2});
  CHECK(ids(runs.history({.task = "a.task", .status = RunStatus::completed})) == Ids{a2});
  const store::Timestamp two_minutes_in =
      TestClock::parse("2026-03-29T00:00:00.000Z") + std::chrono::minutes(2);
  CHECK(ids(runs.history({.since = two_minutes_in})) == Ids{b2, a3, a2});
  CHECK(ids(runs.history({.since = two_minutes_in + std::chrono::milliseconds(1)})) == Ids{b2, a3});
  CHECK(ids(runs.history({.task = "b.task", .since = two_minutes_in})) == Ids{b2});
  CHECK(ids(runs.history({.limit = 2})) == Ids{b2, a3});
  CHECK(
      ids(runs.history(
          {.task = "a.task", .status = RunStatus::failed, .since = two_minutes_in, .limit = 1})) ==
      Ids{a3});
  // Records come back whole.
  const auto failed = runs.history({.status = RunStatus::failed});
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].error == "boom");
  CHECK(failed[0].task_name == "a.task");
}

TEST_CASE_TEMPLATE("store: history: filtered by trigger", Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  const store::RunId manual = new_run(runs, "a.task");
  store::NewRun scheduled;
  scheduled.task_name = "a.task";
  scheduled.task_type = "debug.noop";
  scheduled.trigger = store::Trigger::schedule;
  scheduled.scheduled_for = std::chrono::floor<std::chrono::seconds>(clock.now());
  const auto slot = runs.claim_slot(scheduled);
  REQUIRE(slot);
  using Ids = std::vector<store::RunId>;
  CHECK(ids(runs.history({.trigger = store::Trigger::manual})) == Ids{manual});
  CHECK(ids(runs.history({.trigger = store::Trigger::schedule})) == Ids{*slot});
  CHECK(ids(runs.history({.trigger = store::Trigger::retry})).empty());
}

TEST_CASE_TEMPLATE("store: recent runs: each task's newest, at most n each, since a time", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  // a: 5 runs, b: 2, interleaved one minute apart; c: none. The last of a fails with a result.
  std::vector<store::RunId> a, b;
  for (int i = 0; i < 5; ++i) {
    a.push_back(new_run(runs, "a.task"));
    clock.advance(std::chrono::minutes(1));
    if (i < 2) {
      b.push_back(new_run(runs, "b.task"));
      clock.advance(std::chrono::minutes(1));
    }
  }
  REQUIRE(runs.start(a[4], {"i", "h", 1}));
  REQUIRE(runs.finish(a[4], RunStatus::failed, nlohmann::json{{"released", 3}}, "boom"));
  REQUIRE(runs.start(a[3], {"i", "h", 1}));
  REQUIRE(runs.finish(a[3], RunStatus::completed,
                      nlohmann::json::parse(R"({"released": 2, "ids": ["1", {"x": 1}, [2]],
                                                "by_status": {"pending": 1}, "message": "ok",
                                                "capped": false, "max_per_run": null})"),
                      ""));

  using Ids = std::vector<store::RunId>;
  auto recent = runs.recent_runs({"a.task", "b.task", "c.task"}, 3);
  CHECK(recent.size() == 2);
  CHECK(ids(recent["a.task"]) == Ids{a[4], a[3], a[2]});
  CHECK(ids(recent["b.task"]) == Ids{b[1], b[0]});
  CHECK_FALSE(recent.contains("c.task"));
  const auto& last = recent["a.task"].front();
  CHECK(last.status == RunStatus::failed);
  CHECK(last.error == "boom");
  CHECK(last.result == nlohmann::json{{"released", 3}});
  CHECK(last.started_at.has_value());
  CHECK(last.finished_at.has_value());
  // A result keeps its top-level members: nested lists their length (not their ids), nested
  // objects nothing.
  CHECK(recent["a.task"][1].result == nlohmann::json::parse(R"({"released": 2,
        "ids": [null, null, null], "by_status": {}, "message": "ok", "capped": false,
        "max_per_run": null})"));
  CHECK(recent["a.task"][1].config == nlohmann::json::object());

  // Since: b's runs were at minutes 1 and 3, a's at 0, 2, 4, 5 and 6.
  const store::Timestamp start = TestClock::parse("2026-03-29T00:00:00.000Z");
  recent = runs.recent_runs({"a.task", "b.task"}, 50, start + std::chrono::minutes(3));
  CHECK(ids(recent["a.task"]) == Ids{a[4], a[3], a[2]});
  CHECK(ids(recent["b.task"]) == Ids{b[1]});

  CHECK(runs.recent_runs({}, 3).empty());
  CHECK(runs.recent_runs({"a.task"}, 0).empty());
}

TEST_CASE_TEMPLATE("store: recent runs: more tasks than one query takes, names as data", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  std::vector<std::string> names;
  for (int i = 0; i < 230; ++i) names.push_back(fmt::format("task-{}", i));
  names.push_back("it's \"quoted\"; DROP TABLE maintd_runs; --");
  for (const auto& name : names) new_run(runs, name);
  const auto recent = runs.recent_runs(names, 50);
  CHECK(recent.size() == names.size());
  for (const auto& name : names) CHECK(recent.at(name).size() == 1);
}

TEST_CASE_TEMPLATE("store: history: the default limit is 50", Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  for (int i = 0; i < 55; ++i) new_run(runs, "a.task");
  CHECK(runs.history({}).size() == 50);
  CHECK(runs.history({.limit = 100}).size() == 55);
}

TEST_CASE_TEMPLATE("store: active runs: the pending and running runs of one task, oldest first",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  const store::RunId pending = new_run(runs, "a.task");
  const store::RunId running = new_run(runs, "a.task");
  REQUIRE(runs.start(running, {"i", "h", 1}));
  const store::RunId done = new_run(runs, "a.task");
  REQUIRE(runs.start(done, {"i", "h", 1}));
  REQUIRE(runs.finish(done, RunStatus::completed, nullptr, ""));
  const store::RunId abandoned = new_run(runs, "a.task");
  REQUIRE(runs.start(abandoned, {"i", "h", 1}));
  REQUIRE(runs.transition(abandoned, RunStatus::running, RunStatus::abandoned));
  new_run(runs, "b.task");

  const auto active = runs.active_runs("a.task");
  CHECK(ids(active) == std::vector<store::RunId>{pending, running});
  CHECK(active[1].status == RunStatus::running);
  CHECK(runs.active_runs("c.task").empty());
}
