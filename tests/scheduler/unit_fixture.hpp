#pragma once
// The daemon's units (slot claimer, lease keeper, overdue watch, run control, ...) driven
// directly, without a daemon or its loop: DaemonFixture's configuration, handlers and SQLite
// state database; the store's clock a TestClock (store/store_fixture.hpp) and LocalRuns' steady
// clock a time point, both moved by the test; and a launcher that records what it was handed
// instead of running it. Nothing here waits or sleeps.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "scheduler/daemon_fixture.hpp"
#include "scheduler/launch.hpp"
#include "scheduler/local_runs.hpp"
#include "scheduler/metrics.hpp"
#include "store/run_journal.hpp"
#include "store/store_fixture.hpp"

namespace maintd::testing {

struct UnitFixture : DaemonFixture {
  TestClock clock{TestClock::parse("2026-01-01T00:00:00.000Z")};
  std::shared_ptr<store::Database> database;
  std::unique_ptr<store::RunStore> run_store;  // on `clock`
  std::unique_ptr<store::RunJournal> journal;
  scheduler::Metrics metrics;
  std::chrono::steady_clock::time_point steady{};  // LocalRuns' clock
  scheduler::LocalRuns local{[this] { return steady; }};
  std::vector<scheduler::Launch> launched;  // what recorder() was handed

  // `busy_timeout`: how long a call waits for SQLite's write lock (locked_by_another_writer).
  explicit UnitFixture(std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
    database_options.busy_timeout = busy_timeout;
    database = open();
    run_store = std::make_unique<store::RunStore>(database, clock.clock());
    journal = std::make_unique<store::RunJournal>(database, clock.clock());
  }

  // The fixture's tasks as the units take them.
  std::shared_ptr<const tasks::TaskSet> task_set() const {
    return std::make_shared<const tasks::TaskSet>(tasks);
  }

  scheduler::Launcher recorder() {
    return [this](scheduler::Launch launch) { launched.push_back(std::move(launch)); };
  }

  // A run of `task` recorded in `status` (pending, running), as another instance left it.
  store::RunId run_in_progress(const std::string& task, RunStatus status,
                               const std::string& instance = "other-instance") {
    store::NewRun run;
    run.task_name = task;
    run.task_type = "debug.noop";
    const auto id = run_store->create_run(run);
    if (status == RunStatus::running) REQUIRE(run_store->start(id, {instance, "other-host", 42}));
    return id;
  }

  // Sets a run's heartbeat `seconds_ago` by the database's clock (the one leases compare with).
  void heartbeat_ago(store::RunId id, int seconds_ago) {
    soci::session sql(soci::sqlite3, "db=" + (dir.path() / "state.db").string());
    sql << "UPDATE maintd_runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-"
        << seconds_ago << " seconds') WHERE id = " << id;
  }

  std::string heartbeat_of(store::RunId id) {
    const auto run = run_store->get(id);
    REQUIRE(run.has_value());
    return run->heartbeat_at ? store::format_timestamp(*run->heartbeat_at) : "none";
  }

  // Another writer holds SQLite's write lock while it lives: writes (and, beyond the busy
  // timeout, reads that need a lock) fail as from an unavailable state database.
  struct WriteLock {
    soci::session sql;
    explicit WriteLock(const UnitFixture& f)
        : sql(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string() + " timeout=5") {
      sql << "BEGIN EXCLUSIVE";
    }
    ~WriteLock() { sql << "ROLLBACK"; }
  };
};

// A firing as the planner makes it.
inline scheduler::Firing firing(const std::string& task, const std::string& slot,
                                store::Trigger trigger = store::Trigger::schedule) {
  scheduler::Firing out;
  out.task = task;
  out.slot = at(slot);
  out.trigger = trigger;
  return out;
}

}  // namespace maintd::testing
