// The daemon on rows the application wrote into scheduled_tasks itself (issue 18): two
// instances run each slot once, every run is written back into its row, and the application's
// own INSERT and UPDATE (one that leaves updated_at alone) are honoured at the next poll.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <set>
#include <thread>

#include "scheduler/daemon_fixture.hpp"

using maintd::Instant;
using maintd::store::RunStatus;
using maintd::testing::at;
using maintd::testing::DaemonFixture;
using namespace std::chrono_literals;

namespace {

// What the application does, in plain SQL on its own connection.
void application(DaemonFixture& f, const std::string& statement) {
  soci::session sql("sqlite3", "db=" + (f.dir.path() / "state.db").string());
  sql << statement;
}

std::string row_value(DaemonFixture& f, const std::string& column, const std::string& name) {
  soci::session sql("sqlite3", "db=" + (f.dir.path() / "state.db").string());
  std::string value;
  soci::indicator ind = soci::i_ok;
  sql << "SELECT CAST(" + column + " AS TEXT) FROM scheduled_tasks WHERE name = '" + name + "'",
      soci::into(value, ind);
  return ind == soci::i_ok ? value : "NULL";
}

}  // namespace

TEST_CASE(
    "two daemons on the application's own rows: each slot once, written back, and the "
    "application's changes honoured at the next poll") {
  DaemonFixture f;
  application(f,
              "INSERT INTO scheduled_tasks (id, name, display_name, task_type, "
              "schedule_expression, enabled, config, created_at, updated_at) VALUES "
              "('2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c001', 'app-minutely', 'App', 'debug.noop', "
              "'* * * * *', 1, '{\"dry_run\": false}', '2026-01-01T00:00:00.000Z', "
              "'2026-01-01T00:00:00.000Z')");
  maintd::scheduler::DaemonOptions options;
  options.now = [&f] { return f.now; };
  maintd::scheduler::Daemon first(f.config, f.open(), options);
  maintd::scheduler::Daemon second(f.config, f.open(), options);
  first.start(f.now);
  second.start(f.now);
  CHECK(first.next_fire("app-minutely") == at("2026-01-01T00:01:00Z"));

  for (int minute = 1; minute <= 3; ++minute) {
    const Instant slot = f.now + std::chrono::minutes(minute);
    std::jthread other([&] { second.tick(slot); });  // both race on the claim
    first.tick(slot);
    other.join();
    REQUIRE(first.wait_idle(10s));
    REQUIRE(second.wait_idle(10s));
  }
  const auto runs = f.runs();
  REQUIRE(runs.size() == 3);
  std::set<Instant> slots;
  for (const auto& run : runs) {
    CHECK(run.task_name == "app-minutely");
    CHECK(run.status == RunStatus::completed);
    slots.insert(*run.scheduled_for);
  }
  CHECK(slots.size() == 3);
  // The application's admin page reads these.
  CHECK(row_value(f, "last_run_status", "app-minutely") == "completed");
  CHECK(row_value(f, "last_run_id", "app-minutely") == std::to_string(runs.back().id));
  CHECK(row_value(f, "last_run_at", "app-minutely") != "NULL");
  CHECK(row_value(f, "next_run_at", "app-minutely") == "2026-01-01T00:01:00.000Z");

  // The application adds a task and switches the first off, leaving updated_at alone.
  application(f,
              "INSERT INTO scheduled_tasks (id, name, display_name, task_type, "
              "schedule_expression, enabled, config, created_at, updated_at) VALUES "
              "('2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c002', 'app-hourly', 'App 2', 'debug.noop', "
              "'0 * * * *', 1, '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')");
  application(f, "UPDATE scheduled_tasks SET enabled = 0 WHERE name = 'app-minutely'");
  first.refresh_table_tasks(f.now);  // the poll
  second.refresh_table_tasks(f.now);
  CHECK_FALSE(first.next_fire("app-minutely").has_value());
  CHECK(first.next_fire("app-hourly") == at("2026-01-01T01:00:00Z"));
  CHECK(second.next_fire("app-hourly") == at("2026-01-01T01:00:00Z"));
  first.tick(f.now + 4min);
  second.tick(f.now + 4min);
  REQUIRE(first.wait_idle(10s));
  REQUIRE(second.wait_idle(10s));
  CHECK(f.runs().size() == 3);  // the disabled task fired no more
}
