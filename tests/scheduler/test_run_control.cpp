// Run control on its own (the admin API's run now and cancel), against a real SQLite state
// database with a recording launcher: what a manual run records and hands over, why one is
// refused, and what a cancel answers for this instance's run, another process's, a finished one
// and an unknown one.
#include <doctest/doctest.h>

#include <mutex>
#include <optional>
#include <string>

#include "scheduler/run_control.hpp"
#include "scheduler/unit_fixture.hpp"

using maintd::scheduler::CancelOutcome;
using maintd::scheduler::RunControl;
using maintd::scheduler::RunNowRefusal;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::make_task;
using maintd::testing::UnitFixture;
using namespace std::chrono_literals;
using Result = CancelOutcome::Result;

namespace {

struct Control {
  std::mutex claims;
  RunControl control;
  explicit Control(UnitFixture& f)
      : control(*f.run_store, f.local, claims, f.recorder(), [&f] { return f.now; }) {}
};

}  // namespace

TEST_CASE(
    "run control: a manual run is recorded with its overrides and handed over, never "
    "to be retried") {
  UnitFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "0 3 * * *", .retries = 3})};
  f.now = at("2026-01-01T12:34:56Z");
  Control c(f);
  const auto id = c.control.run_now({.task = "t", .dry_run = true, .overrides = {{"sleep", "0s"}}},
                                    f.task_set(), f.config);
  REQUIRE(id.has_value());
  REQUIRE(f.launched.size() == 1);
  const auto& launch = f.launched[0];
  CHECK(launch.id == id.value());
  CHECK(launch.task->name == "t");
  CHECK(launch.firing.trigger == Trigger::manual);
  CHECK(launch.firing.slot == f.now);
  CHECK(launch.run_config.at("sleep") == "0s");
  CHECK(launch.dry_run);
  CHECK_FALSE(launch.may_retry);
  const auto run = f.run_store->get(id.value());
  REQUIRE(run.has_value());
  CHECK(run->trigger == Trigger::manual);
  CHECK(run->status == RunStatus::pending);
  CHECK_FALSE(run->scheduled_for.has_value());
  CHECK(run->config.at("sleep") == "0s");
}

TEST_CASE("run control: a manual run is refused, recording nothing, for each reason") {
  using Reason = RunNowRefusal::Reason;
  struct Row {
    const char* what;
    maintd::scheduler::RunNowRequest request;
    bool in_progress;  // a run of the forbid task is pending
    bool locked;       // the state database refuses writes
    Reason reason;
    std::string message_start;
  };
  const Row rows[] = {
      {"an unknown task",
       {.task = "nope"},
       false,
       false,
       Reason::unknown_task,
       "there is no task 'nope'"},
      {"overrides that do not fit the schema",
       {.task = "t", .overrides = {{"sleep", "soon"}}},
       false,
       false,
       Reason::invalid_config,
       "task 't': the config does not fit debug.noop"},
      {"concurrency forbid and a run in progress",
       {.task = "t"},
       true,
       false,
       Reason::busy,
       "previous run 1 still pending (concurrency: forbid)"},
      {"the state database refuses the insert",
       {.task = "t"},
       false,
       true,
       Reason::unavailable,
       ""},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    UnitFixture f(100ms);
    f.tasks = {make_task({.name = "t", .schedule = "0 3 * * *"})};
    if (row.in_progress) f.run_in_progress("t", RunStatus::pending);
    Control c(f);
    const auto before = f.runs().size();
    std::optional<UnitFixture::WriteLock> lock;
    if (row.locked) lock.emplace(f);
    const auto refused = c.control.run_now(row.request, f.task_set(), f.config);
    lock.reset();
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().reason == row.reason);
    CHECK(refused.error().message.rfind(row.message_start, 0) == 0);
    if (row.in_progress) CHECK(refused.error().running == 1);
    CHECK(f.launched.empty());
    CHECK(f.runs().size() == before);
  }
}

TEST_CASE("run control: cancel answers what the run is, whoever executes it") {
  UnitFixture f;
  Control c(f);
  // This instance's run: stopped at once; asked again while it stops, still cancelled; once its
  // end is recorded, finished.
  const auto own = f.run_in_progress("t", RunStatus::running, "this-instance");
  const auto stop = f.local.add(own);
  CHECK(c.control.cancel_run(own).result == Result::cancelled);
  CHECK(stop->stop_requested());
  CHECK(f.run_store->get(own)->status == RunStatus::running);  // its executor records the end
  CHECK(c.control.cancel_run(own).result == Result::cancelled);
  REQUIRE(f.run_store->finish(own, RunStatus::cancelled, nullptr, "cancelled"));
  const auto recorded = c.control.cancel_run(own);
  CHECK(recorded.result == Result::finished);
  CHECK(recorded.status == RunStatus::cancelled);

  // Another process's run: its row is marked cancelled, which its executor notices.
  const auto elsewhere = f.run_in_progress("t", RunStatus::running);
  CHECK(c.control.cancel_run(elsewhere).result == Result::cancelled);
  const auto row = f.run_store->get(elsewhere);
  CHECK(row->status == RunStatus::cancelled);
  CHECK(row->error == "cancelled by an operator");
  const auto again = c.control.cancel_run(elsewhere);
  CHECK(again.result == Result::finished);
  CHECK(again.status == RunStatus::cancelled);

  CHECK(c.control.cancel_run(999999).result == Result::not_found);
}
