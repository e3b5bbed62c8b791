// A target database (under `databases:`) that does not answer must not hold a run for ever
// (issue 24, item 3): connecting is bounded by database_timeouts.connect, and a handler's
// statement that is still waiting kStatementCutDelay (5 s) after the task's timeout has its
// connection closed, so the run ends timed out. maintd sets no statement timeout of its own on
// handlers' statements: a long statement within the task's timeout runs to its end.
#include <doctest/doctest.h>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "support/postgres_cluster.hpp"
#include "support/postgres_freeze.hpp"

using namespace maintd::e2e;
using maintd::testing::PostgresCluster;
using maintd::testing::PostgresFreeze;

namespace {

Settings target_settings(const PostgresCluster& pg, const std::string& database) {
  Settings settings;  // SQLite state database
  settings.extra =
      "database_timeouts: {connect: 2s, statement: 1s}\n"
      "databases:\n  app: \"" +
      pg.uri(database) + "\"\n";
  return settings;
}

std::chrono::milliseconds since(Steady::time_point started) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
}

}  // namespace

TEST_CASE("a target statement that outlives the task's timeout is cut 5 s after it") {
  PostgresCluster pg;
  pg.create_database("e2e_target_cut");
  Workspace ws(R"yaml(tasks:
  - name: sleepy
    type: sql.exec
    schedule: "0 3 * * *"
    timeout: 1s
    config: {database: app, statement: "SELECT pg_sleep(60)"}
  - name: patient
    type: sql.exec
    schedule: "0 3 * * *"
    timeout: 1m
    config: {database: app, statement: "SELECT pg_sleep(2)"}
)yaml",
               target_settings(pg, "e2e_target_cut"));

  // Longer than the state database's statement timeout (1 s), within the task's: it completes.
  auto started = Steady::now();
  const auto patient =
      run_maintd({"run", "patient", "--config", ws.config.string()}, ws.log("patient.log"), 30s);
  INFO("patient:\n" << patient.output);
  CHECK(patient.code() == 0);
  CHECK(since(started) >= 2s);

  // The server never answers within the task's timeout: its stop token is not looked at while
  // the statement waits, so the connection is closed 5 s after the timeout.
  started = Steady::now();
  const auto sleepy =
      run_maintd({"run", "sleepy", "--config", ws.config.string()}, ws.log("sleepy.log"), 30s);
  const auto took = since(started);
  MESSAGE("a 60 s statement under a 1 s task timeout ended after " << took.count() << " ms");
  INFO("sleepy:\n" << sleepy.output);
  CHECK(sleepy.code() == 1);
  CHECK(sleepy.output.find("timed out after 1s") != std::string::npos);
  CHECK(took < 10s);
}

TEST_CASE("a frozen target database fails the run within the connect timeout, naming it") {
  PostgresCluster pg;
  pg.create_database("e2e_target_frozen");
  Workspace ws(R"yaml(tasks:
  - name: trim
    type: sql.exec
    schedule: "0 3 * * *"
    timeout: 1m
    config: {database: app, statement: "SELECT 1"}
)yaml",
               target_settings(pg, "e2e_target_frozen"));
  const PostgresFreeze freeze(pg);
  const auto started = Steady::now();
  const auto outcome =
      run_maintd({"run", "trim", "--config", ws.config.string()}, ws.log("trim.log"), 30s);
  const auto took = since(started);
  MESSAGE("a run on a frozen target database ended after " << took.count() << " ms");
  INFO("output:\n" << outcome.output);
  CHECK(outcome.code() == 1);
  CHECK(outcome.output.find("e2e_target_frozen") != std::string::npos);
  CHECK(outcome.output.find("timeout expired") != std::string::npos);
  CHECK(took < 8s);
}
