// The slot claimer on its own: firings in, claimed runs (handed to a recording launcher) or
// recorded skips out, against a real SQLite state database. The concurrency policies, a second
// instance's claim of the same slot, batches, and firings held while the database is locked.
#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

#include "scheduler/slot_claimer.hpp"
#include "scheduler/unit_fixture.hpp"
#include "support/captured_log.hpp"

using maintd::config::Concurrency;
using maintd::scheduler::SlotClaimer;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::CapturedLog;
using maintd::testing::firing;
using maintd::testing::make_task;
using maintd::testing::UnitFixture;
using namespace std::chrono_literals;

namespace {

// A claimer with the fixture's store, journal, local runs, metrics and recording launcher.
struct Claimer {
  std::mutex claims;
  SlotClaimer claimer;
  explicit Claimer(UnitFixture& f)
      : claimer(*f.run_store, *f.journal, f.local, f.metrics, claims, f.recorder()) {}
};

std::string metrics_text(const UnitFixture& f) {
  return f.metrics.render({});
}

}  // namespace

TEST_CASE("slot claimer: a firing is claimed and launched, a skip is recorded, exactly once") {
  UnitFixture f;
  // allow: the second instance below is not held back by the first one's run, only by the slot.
  f.tasks = {
      make_task({.name = "t", .schedule = "*/5 * * * *", .concurrency = Concurrency::allow})};
  Claimer c(f);
  c.claimer.claim({firing("t", "2026-01-01T00:05:00Z")}, f.task_set(), f.config,
                  at("2026-01-01T00:05:01Z"));
  REQUIRE(f.launched.size() == 1);
  const auto& launch = f.launched[0];
  CHECK(launch.task->name == "t");
  CHECK(launch.firing.slot == at("2026-01-01T00:05:00Z"));
  CHECK(launch.may_retry);
  CHECK(launch.config == f.config);
  const auto run = f.run_store->get(launch.id);
  REQUIRE(run.has_value());
  CHECK(run->status == RunStatus::pending);
  CHECK(run->trigger == Trigger::schedule);
  CHECK(run->scheduled_for == at("2026-01-01T00:05:00Z"));

  // Another instance wakes for the same slot: the insert is not its to win.
  CapturedLog log;
  maintd::scheduler::LocalRuns other_local;
  std::mutex other_claims;
  std::vector<maintd::scheduler::Launch> other_launched;
  SlotClaimer other(*f.run_store, *f.journal, other_local, f.metrics, other_claims,
                    [&](maintd::scheduler::Launch l) { other_launched.push_back(std::move(l)); });
  other.claim({firing("t", "2026-01-01T00:05:00Z")}, f.task_set(), f.config,
              at("2026-01-01T00:05:01Z"));
  CHECK(other_launched.empty());
  CHECK(log.all().find("slot 2026-01-01T00:05:00Z was claimed by another instance") !=
        std::string::npos);

  // A skip from the planner (missed slots past the catch-up window) is a skipped run.
  auto skip = firing("t", "2026-01-01T00:00:00Z");
  skip.skipped = true;
  skip.reason = "missed 3 slots";
  c.claimer.claim({skip}, f.task_set(), f.config, at("2026-01-01T00:05:01Z"));
  CHECK(f.launched.size() == 1);
  const auto runs = f.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].status == RunStatus::skipped);
  CHECK(runs[1].error == "missed 3 slots");
  CHECK(metrics_text(f).find("maintd_runs_total{task=\"t\",status=\"skipped\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("slot claimer: the concurrency policies against the runs in progress") {
  struct Row {
    const char* what;
    Concurrency concurrency;
    RunStatus in_progress;
    bool local;                 // the run in progress is this instance's
    bool launched;              // the new slot's run is launched
    std::string skipped_error;  // else: recorded skipped with this
    RunStatus previous_after;   // the run in progress, as the row says afterwards
    bool previous_stopped;      // this instance's run was asked to stop
  };
  const Row rows[] = {
      {"forbid, a pending run", Concurrency::forbid, RunStatus::pending, false, false,
       "previous run 1 still pending", RunStatus::pending, false},
      {"forbid, a running run", Concurrency::forbid, RunStatus::running, false, false,
       "previous run 1 still running", RunStatus::running, false},
      {"replace, another instance's run: its row is cancelled", Concurrency::replace,
       RunStatus::running, false, true, "", RunStatus::cancelled, false},
      {"replace, this instance's run: stopped at once, its executor records it",
       Concurrency::replace, RunStatus::running, true, true, "", RunStatus::running, true},
      {"allow: they overlap", Concurrency::allow, RunStatus::running, false, true, "",
       RunStatus::running, false},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    UnitFixture f;
    f.tasks = {make_task({.name = "t", .schedule = "* * * * *", .concurrency = row.concurrency})};
    const auto previous = f.run_in_progress("t", row.in_progress);
    REQUIRE(previous == 1);
    const auto stop = row.local ? f.local.add(previous) : nullptr;
    Claimer c(f);
    c.claimer.claim({firing("t", "2026-01-01T00:01:00Z")}, f.task_set(), f.config,
                    at("2026-01-01T00:01:00Z"));
    CHECK(f.launched.size() == (row.launched ? 1U : 0U));
    const auto runs = f.runs();
    REQUIRE(runs.size() == 2);
    if (row.launched) {
      CHECK(runs[1].status == RunStatus::pending);
    } else {
      CHECK(runs[1].status == RunStatus::skipped);
      CHECK(runs[1].error == row.skipped_error);
    }
    CHECK(runs[0].status == row.previous_after);
    CHECK((stop && stop->stop_requested()) == row.previous_stopped);
  }
}

TEST_CASE(
    "slot claimer: a wake's firings are claimed in batches, a task's second firing after "
    "its first") {
  UnitFixture f;
  const std::size_t count = 2 * SlotClaimer::kClaimBatch + 1;
  std::vector<maintd::scheduler::Firing> due;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = "t" + std::to_string(i);
    f.tasks.push_back(make_task({.name = name, .schedule = "0 * * * *"}));
    due.push_back(firing(name, "2026-01-01T01:00:00Z"));
  }
  // A retry of an earlier slot and the next slot of one task, due at the same wake: under
  // forbid the retry's run, claimed first, makes the slot a skip, as if they had come apart.
  f.tasks.push_back(make_task({.name = "twice", .schedule = "0 * * * *"}));
  auto retry = firing("twice", "2026-01-01T00:00:00Z", Trigger::retry);
  retry.attempt = 2;
  due.push_back(retry);
  due.push_back(firing("twice", "2026-01-01T01:00:00Z"));
  // How many runs were recorded when the first run of each batch was launched: one transaction
  // per kClaimBatch firings, each batch's runs started before the next batch is claimed.
  std::vector<long long> recorded_at_launch;
  std::mutex claims;
  SlotClaimer claimer(
      *f.run_store, *f.journal, f.local, f.metrics, claims, [&](maintd::scheduler::Launch launch) {
        if (f.launched.size() % SlotClaimer::kClaimBatch == 0) {
          soci::session sql(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string());
          recorded_at_launch.push_back(
              maintd::testing::count(sql, "SELECT COUNT(*) FROM maintd_runs"));
        }
        f.launched.push_back(std::move(launch));
      });
  claimer.claim(due, f.task_set(), f.config, at("2026-01-01T01:00:00Z"));
  REQUIRE(f.launched.size() == count + 1);
  for (std::size_t i = 0; i < count; ++i) CHECK(f.launched[i].task->name == due[i].task);
  CHECK(f.launched.back().firing.trigger == Trigger::retry);
  // The last batch: t512 and the retry, claimed before the policy decides about the slot.
  CHECK(recorded_at_launch == std::vector<long long>{256, 512, 514});
  const auto runs = f.run_store->history({.task = "twice", .limit = 10});
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == RunStatus::skipped);  // newest first: the slot
  CHECK(runs[0].error == "previous run " + std::to_string(runs[1].id) + " still pending");
  CHECK(runs[1].attempt == 2);
}

TEST_CASE(
    "slot claimer: firings that meet a locked state database are held, then claimed as "
    "one catch-up run") {
  UnitFixture f(100ms);
  f.tasks = {make_task({.name = "t", .schedule = "* * * * *", .catchup = 10min})};
  Claimer c(f);
  CapturedLog log;
  {
    UnitFixture::WriteLock lock(f);
    c.claimer.claim({firing("t", "2026-01-01T00:01:00Z")}, f.task_set(), f.config,
                    at("2026-01-01T00:01:00Z"));
    c.claimer.claim({firing("t", "2026-01-01T00:02:00Z")}, f.task_set(), f.config,
                    at("2026-01-01T00:02:00Z"));
    CHECK(c.claimer.holding());
    CHECK(f.launched.empty());
  }
  CHECK(log.all().find("task t: slot 2026-01-01T00:02:00Z not claimed yet") != std::string::npos);
  c.claimer.claim({}, f.task_set(), f.config, at("2026-01-01T00:02:05Z"));
  CHECK_FALSE(c.claimer.holding());
  REQUIRE(f.launched.size() == 1);
  const auto& launch = f.launched[0];
  CHECK(launch.firing.trigger == Trigger::catchup);
  CHECK(launch.firing.slot == at("2026-01-01T00:02:00Z"));
  CHECK(launch.firing.folded == 2);
  CHECK(launch.firing.reason ==
        "2 missed slots from 2026-01-01T00:01:00Z to 2026-01-01T00:02:00Z coalesced into one run "
        "(held back while the state database was unavailable)");
  const auto runs = f.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].trigger == Trigger::catchup);
}

TEST_CASE(
    "slot claimer: a firing past its catch-up window when the database fails is lost, one "
    "of a task gone since is dropped") {
  UnitFixture f(100ms);
  f.tasks = {make_task({.name = "t", .schedule = "0 * * * *", .catchup = 5min}),
             make_task({.name = "off", .schedule = "0 * * * *", .enabled = false})};
  Claimer c(f);
  CapturedLog log;
  {
    UnitFixture::WriteLock lock(f);
    c.claimer.claim({firing("t", "2026-01-01T01:00:00Z")}, f.task_set(), f.config,
                    at("2026-01-01T01:10:00Z"));
  }
  CHECK_FALSE(c.claimer.holding());
  CHECK(log.all().find("task t: slot 2026-01-01T01:00:00Z lost: the state database was "
                       "unavailable beyond the catch-up window") != std::string::npos);

  c.claimer.claim({firing("gone", "2026-01-01T01:00:00Z"), firing("off", "2026-01-01T01:00:00Z")},
                  f.task_set(), f.config, at("2026-01-01T01:00:00Z"));
  CHECK(f.launched.empty());
  CHECK(f.runs().empty());
  const auto warnings = log.warnings();
  CHECK(std::find(warnings.begin(), warnings.end(),
                  "task gone: schedule for the slot 2026-01-01T01:00:00Z dropped: the task is no "
                  "longer configured since") != warnings.end());
  CHECK(std::find(warnings.begin(), warnings.end(),
                  "task off: schedule for the slot 2026-01-01T01:00:00Z dropped: the task is "
                  "disabled since") != warnings.end());
}
