// `maintd validate --check-databases`: the tables and columns tasks name, against the live
// target databases; unreachable databases reported once.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "cli/cli_driver.hpp"
#include "support/temp_dir.hpp"

using namespace maintd;

namespace {

const char* const kTasks = R"(tasks:
  - name: release
    type: claims.release_expired
    schedule: "*/5 * * * *"
    config: {database: app, table: soup_dedupe, claimed_at_column: claimd_at}
  - name: orphans
    type: jobs.fail_orphaned
    schedule: "*/5 * * * *"
    config: {database: app, table: crawl_jobs}
  - name: gone-1
    type: jobs.fail_orphaned
    schedule: "@hourly"
    config: {database: gone, table: crawl_jobs}
  - name: gone-2
    type: jobs.fail_orphaned
    schedule: "@hourly"
    config: {database: gone, table: crawl_jobs}
)";

}  // namespace

TEST_CASE("validate --check-databases names each missing table or column at its task") {
  testing::TempDir dir;
  {
    soci::session app(soci::sqlite3, "db=" + (dir.path() / "app.db").string());
    app << "CREATE TABLE soup_dedupe (id INTEGER PRIMARY KEY, claimed_at TEXT)";
  }
  const auto config = dir.write("maintd.yaml", R"(state_database: sqlite3://state.db
databases:
  app: sqlite3://app.db
  gone: sqlite3:///nonexistent/dir/gone.db
schedules: [tasks.yaml]
)")
                          .string();
  dir.write("tasks.yaml", kTasks);

  // Without the flag, nothing is opened: the configuration itself is valid.
  const auto plain = testing::run_cli({"validate", "--config", config});
  CHECK(plain.code == 0);

  const auto r = testing::run_cli({"validate", "--check-databases", "--config", config});
  CHECK(r.code == 2);
  CHECK(r.err.find("tasks.yaml:2:5: task 'release' config.claimed_at_column: column 'claimd_at' "
                   "does not exist in table 'soup_dedupe' (did you mean 'claimed_at'?)") !=
        std::string::npos);
  CHECK(r.err.find("tasks.yaml:6:5: task 'orphans' config.table: table 'crawl_jobs' does not "
                   "exist in the database") != std::string::npos);
  // The unreachable database: said once, at the first task that needs it.
  CHECK(r.err.find("task 'gone-1': ") != std::string::npos);
  CHECK(r.err.find("task 'gone-2'") == std::string::npos);
  CHECK(r.err.find("3 problems found in the databases") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("validate --check-databases: all present is OK, and says how many databases") {
  testing::TempDir dir;
  {
    soci::session app(soci::sqlite3, "db=" + (dir.path() / "app.db").string());
    app << "CREATE TABLE crawl_jobs (id INTEGER PRIMARY KEY, status TEXT, started_at TEXT, "
           "completed_at TEXT, error_message TEXT)";
  }
  const auto config = dir.write("maintd.yaml",
                                "state_database: sqlite3://state.db\n"
                                "databases: {app: sqlite3://app.db}\n"
                                "schedules: [tasks.yaml]\n")
                          .string();
  dir.write("tasks.yaml",
            "tasks:\n  - {name: orphans, type: jobs.fail_orphaned, schedule: "
            "'@hourly', config: {database: app, table: crawl_jobs}}\n");
  const auto r = testing::run_cli({"validate", "--check-databases", "--config", config});
  CHECK(r.err == "");
  CHECK(r.out == "1 task in 1 file, checked against 2 databases, OK\n");
  CHECK(r.code == 0);
}

// Regression (issue 24): a database that only sql.exec (or any handler without a schema check)
// uses was never connected to, so a refused login or a server that is down said OK.
TEST_CASE("validate --check-databases connects to every declared database, used or not") {
  testing::TempDir dir;
  const auto config = dir.write("maintd.yaml",
                                "state_database: sqlite3://state.db\n"
                                "databases:\n"
                                "  down: \"postgresql://maintd:db-secret-7@127.0.0.1:1/app\"\n"
                                "  spare: sqlite3:///nonexistent/dir/spare.db\n"
                                "schedules: [tasks.yaml]\n")
                          .string();
  dir.write("tasks.yaml",
            "tasks:\n  - {name: vacuum, type: sql.exec, schedule: '@daily', "
            "config: {database: down, statement: 'VACUUM'}}\n");
  const auto r = testing::run_cli({"validate", "--check-databases", "--config", config});
  CHECK(r.code == 2);
  CHECK(r.err.find("databases.down: cannot connect to the database") != std::string::npos);
  CHECK(r.err.find("databases.spare: cannot connect to the database") != std::string::npos);
  CHECK(r.err.find("2 problems found in the databases") != std::string::npos);
  CHECK(r.err.find("db-secret-7") == std::string::npos);
  CHECK(r.out.empty());
}
