// Several `maintd serve` instances on one real PostgreSQL state database (the harness starts the
// server): each slot runs exactly once, whichever instance wins it, and when one instance is
// killed the others carry on without a gap; and two instances on the application's own
// scheduled_tasks (issue 18).
#include <doctest/doctest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>

#include "e2e/crash_restart.hpp"
#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "support/postgres_cluster.hpp"
#include "support/task_tables.hpp"

using namespace maintd::e2e;
using maintd::testing::PostgresCluster;

namespace {

maintd::Instant now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::size_t completed_from(const std::vector<RunRecord>& runs, maintd::Instant from) {
  std::size_t n = 0;
  for (const auto& run : runs) {
    n += run.status == RunStatus::completed && run.scheduled_for && *run.scheduled_for >= from;
  }
  return n;
}

}  // namespace

TEST_CASE("three instances, one killed half way: every slot has exactly one run, none missing") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("e2e_three_instances");
  Settings settings;  // heartbeat 1s, lease 3s
  settings.state_database = pg.uri("e2e_three_instances");
  Workspace ws(R"(tasks:
  - {name: alpha, type: debug.noop, schedule: "* * * * * *"}
  - {name: beta, type: debug.noop, schedule: "* * * * * *"}
)",
               settings);
  StateReader state(ws.url(settings.state_database));

  std::vector<std::unique_ptr<Process>> instances;
  for (const char* name : {"one.log", "two.log", "three.log"}) {
    instances.push_back(start_daemon(ws.config, ws.log(name)));
  }
  const auto started = now_seconds();

  // About 15 slots of each task with all three running, then instance one is killed
  // (SIGKILL: no shutdown, whatever it was doing is left as it was).
  REQUIRE(eventually(30s, [&] {
    return completed_from(state.runs("alpha"), started + 1s) >= 15 &&
           completed_from(state.runs("beta"), started + 1s) >= 15;
  }));
  const pid_t killed = instances[0]->pid();
  instances[0]->kill();
  const auto killed_at = now_seconds();

  // About 15 more slots of each task with the two survivors; the first few after the kill may
  // be skipped while a run the killed instance held is still within its lease.
  const bool survived = eventually(30s, [&] {
    return completed_from(state.runs("alpha"), killed_at + 6s) >= 10 &&
           completed_from(state.runs("beta"), killed_at + 6s) >= 10;
  });
  for (std::size_t i = 1; i < instances.size(); ++i) instances[i]->signal(SIGTERM);
  for (std::size_t i = 1; i < instances.size(); ++i) {
    CAPTURE(i);
    CHECK(describe_status(instances[i]->wait_exit(15s)) == "exit 0");
  }
  const auto all = state.runs();
  INFO("runs:\n" << describe_runs(all));
  for (std::size_t i = 0; i < instances.size(); ++i) {
    INFO("instance " << i + 1 << " (pid " << instances[i]->pid() << ") output:\n"
                     << instances[i]->output());
  }
  REQUIRE(survived);

  std::set<long long> pids;
  for (const std::string task : {"alpha", "beta"}) {
    CAPTURE(task);
    const auto runs = slot_runs(state.runs(task));
    REQUIRE(runs.size() >= 30);
    std::map<maintd::Instant, std::vector<RunRecord>> by_slot;
    for (const auto& run : runs) by_slot[*run.scheduled_for].push_back(run);

    // Exactly one run per slot, and every slot from the first to the last recorded has one.
    std::size_t missing = 0, duplicated = 0;
    for (auto slot = by_slot.begin()->first; slot <= by_slot.rbegin()->first; slot += 1s) {
      const auto it = by_slot.find(slot);
      if (it == by_slot.end()) {
        ++missing;
        MESSAGE("no run for the slot " << maintd::format_utc(slot));
      } else if (it->second.size() != 1) {
        ++duplicated;
      }
    }
    CHECK(missing == 0);
    CHECK(duplicated == 0);
    CHECK(by_slot.size() == runs.size());

    for (const auto& run : runs) {
      CAPTURE(run.id);
      // Run, or explicitly skipped with its reason (overlap with a run of the killed instance);
      // never failed.
      if (run.status == RunStatus::skipped) {
        CHECK(run.error.find("previous run") != std::string::npos);
        continue;
      }
      CHECK(run.status != RunStatus::failed);
      CHECK(run.trigger == Trigger::schedule);
      if (run.started_at) pids.insert(run.pid);
      // The killed instance ran nothing after its death.
      if (run.pid == killed) CHECK(*run.scheduled_for <= killed_at + 1s);
    }
    // The survivors took over.
    CHECK(completed_from(runs, killed_at + 6s) >= 10);
  }
  // The work was shared: runs came from more than one instance.
  CHECK(pids.size() >= 2);
  std::map<long long, int> per_pid;
  for (const auto& run : all) per_pid[run.pid] += run.started_at ? 1 : 0;
  std::ostringstream shares;
  for (const auto& [pid, count] : per_pid) {
    if (count > 0) shares << " pid " << pid << (pid == killed ? " (killed)" : "") << ": " << count;
  }
  MESSAGE(all.size() << " runs, " << count_status(all, RunStatus::skipped)
                     << " skipped; runs started per instance:" << shares.str());
}

TEST_CASE("kill -9 during a forbid run, down past the lease: the restart runs the catch-up") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("e2e_crash_catchup");
  Settings settings;  // heartbeat 1s, lease 3s
  settings.state_database = pg.uri("e2e_crash_catchup");
  check_restart_after_lease_runs_the_catchup(settings);
}

// Issue 18: the application's own scheduled_tasks, in its own PostgreSQL types (UUID ids, JSONB
// config, a boolean `enabled`, timestamptz), with two instances on it: each slot once, every run
// written back into the row, a row the application inserts picked up at the next poll, and the
// table's columns as they were.
TEST_CASE("two instances on the application's own scheduled_tasks: each slot once, written back") {
  auto& pg = PostgresCluster::shared();
  const std::string connect = pg.create_database("e2e_adopted_table");
  soci::session app(soci::postgresql, connect);
  app << maintd::testing::curatore_table(/*postgres=*/true);
  const auto columns = [&] {
    std::string listed;
    app << "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
           "FROM information_schema.columns WHERE table_name = 'scheduled_tasks'",
        soci::into(listed);
    return listed;
  };
  const std::string columns_before = columns();
  app << "INSERT INTO scheduled_tasks (id, name, display_name, task_type, schedule_expression, "
         "enabled, config) VALUES ('2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c001', 'app-seconds', 'App', "
         "'debug.noop', '* * * * * *', TRUE, '{\"dry_run\": false}')";

  Settings settings;  // heartbeat 1s, lease 3s, poll 5s
  settings.state_database = pg.uri("e2e_adopted_table");
  Workspace ws("tasks: []\n", settings);
  StateReader state(ws.url(settings.state_database));
  std::vector<std::unique_ptr<Process>> instances;
  for (const char* name : {"one.log", "two.log"}) {
    instances.push_back(start_daemon(ws.config, ws.log(name)));
  }
  const auto started = now_seconds();
  const bool first_ran =
      eventually(30s, [&] { return completed_from(state.runs("app-seconds"), started + 1s) >= 5; });
  // The application adds a task of its own, with its own id.
  app << "INSERT INTO scheduled_tasks (id, name, display_name, task_type, schedule_expression, "
         "enabled, config) VALUES ('2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c002', 'app-added', "
         "'Added', 'debug.noop', '* * * * * *', TRUE, '{}')";
  const auto inserted = now_seconds();
  const bool added_ran = first_ran && eventually(30s, [&] {
                           return completed_from(state.runs("app-added"), inserted) >= 3;
                         });
  for (auto& instance : instances) instance->signal(SIGTERM);
  for (auto& instance : instances) CHECK(describe_status(instance->wait_exit(15s)) == "exit 0");
  for (std::size_t i = 0; i < instances.size(); ++i) {
    INFO("instance " << i + 1 << " output:\n" << instances[i]->output());
  }
  INFO("runs:\n" << describe_runs(state.runs()));
  REQUIRE(first_ran);
  REQUIRE(added_ran);

  for (const std::string task : {"app-seconds", "app-added"}) {
    CAPTURE(task);
    std::map<maintd::Instant, int> per_slot;
    for (const auto& run : slot_runs(state.runs(task))) ++per_slot[*run.scheduled_for];
    for (const auto& [slot, count] : per_slot) {
      CAPTURE(maintd::format_utc(slot));
      CHECK(count == 1);
    }
    // Written back: what the application's own admin page shows.
    std::string status;
    soci::indicator at_ind = soci::i_null, next_ind = soci::i_null;
    std::tm last_run_at{}, next_run_at{};
    app << "SELECT last_run_status, last_run_at, next_run_at FROM scheduled_tasks WHERE name = :n",
        soci::use(task), soci::into(status), soci::into(last_run_at, at_ind),
        soci::into(next_run_at, next_ind);
    CHECK(status == "completed");
    CHECK(at_ind == soci::i_ok);
    CHECK(next_ind == soci::i_ok);
  }
  CHECK(columns() == columns_before);
}
