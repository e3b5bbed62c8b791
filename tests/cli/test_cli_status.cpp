// `maintd status`: the daemons, running runs and next slots, read from the state database.
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/cli_driver.hpp"
#include "connection/database_url.hpp"
#include "store/instance_store.hpp"
#include "store/migrations.hpp"
#include "store/run_store.hpp"
#include "support/temp_dir.hpp"

using namespace maintd;

namespace {

struct StatusFixture {
  testing::TempDir dir;
  std::string config = dir.write("maintd.yaml",
                                 "state_database: sqlite3://state.db\n"
                                 "schedules: [tasks.yaml]\n")
                           .string();
  StatusFixture() {
    dir.write("tasks.yaml",
              "tasks:\n"
              "  - {name: often, type: debug.noop, schedule: '*/10 * * * *'}\n"
              "  - {name: hourly, type: debug.noop, schedule: '@hourly'}\n"
              "  - {name: off, type: debug.noop, schedule: '* * * * *', enabled: false}\n");
  }
  std::shared_ptr<store::Database> database() const {
    auto url = connection::parse_database_url("sqlite3://" + (dir.path() / "state.db").string(),
                                              std::nullopt, "/");
    auto db = store::Database::open(url.value(), 1);
    store::migrate(*db);
    return db;
  }
};

}  // namespace

TEST_CASE("status: no daemon has announced itself: says so and exits 1, with the next slots") {
  StatusFixture f;
  const auto r = testing::run_cli({"status", "--config", f.config}, {}, "2026-03-28T12:01:00Z");
  CHECK(r.code == 1);
  CHECK(r.out.find("daemons: none has announced itself") != std::string::npos);
  CHECK(r.out.find("tasks: 3 (2 enabled)") != std::string::npos);
  CHECK(r.out.find("running: none") != std::string::npos);
  // The earliest slot first; the disabled task never appears.
  const auto often = r.out.find("2026-03-28T12:10:00Z  often");
  const auto hourly = r.out.find("2026-03-28T13:00:00Z  hourly");
  CHECK(often != std::string::npos);
  CHECK(hourly != std::string::npos);
  CHECK(often < hourly);
  CHECK(r.out.find(" off") == std::string::npos);
}

TEST_CASE("status: a live daemon and its running run, as text and as JSON, exit 0") {
  StatusFixture f;
  auto db = f.database();
  const store::Worker worker{"host-1-abc", "host-1", static_cast<long long>(::getpid())};
  store::InstanceStore(db).announce(worker, "3 tasks, 1 running");
  store::RunStore runs(db, store::system_clock());
  store::NewRun run;
  run.task_name = "often";
  run.task_type = "debug.noop";
  const auto id = runs.create_run(run);
  REQUIRE(runs.start(id, worker));

  const auto text = testing::run_cli({"status", "--config", f.config});
  CHECK(text.code == 0);
  CHECK(text.out.find("alive") != std::string::npos);
  CHECK(text.out.find("3 tasks, 1 running") != std::string::npos);
  CHECK(text.out.find("often") != std::string::npos);

  const auto r = testing::run_cli({"status", "--config", f.config, "--json", "--next", "1"});
  CHECK(r.code == 0);
  const auto out = nlohmann::json::parse(r.out);
  REQUIRE(out["daemons"].size() == 1);
  CHECK(out["daemons"][0]["host"] == "host-1");
  CHECK(out["daemons"][0]["alive"] == true);
  REQUIRE(out["running"].size() == 1);
  CHECK(out["running"][0]["id"] == id);
  CHECK(out["running"][0]["status"] == "running");
  CHECK(out["next"].size() == 1);
  CHECK(out["tasks"]["enabled"] == 2);
}

TEST_CASE("status: an unreachable state database exits 3 and says why") {
  testing::TempDir dir;
  const auto config = dir.write("maintd.yaml",
                                "state_database: sqlite3:///nonexistent/dir/state.db\n"
                                "schedules: []\n")
                          .string();
  const auto r = testing::run_cli({"status", "--config", config});
  CHECK(r.code == 3);
  CHECK(r.err.find("/nonexistent/dir/state.db") != std::string::npos);
}

// Regression: a state directory the user may not look into made std::filesystem throw out of
// main() (abort, exit 134) instead of saying why. Root may look everywhere, so a name too long
// for the file system stands in for "permission denied": both are errors of the same stat().
TEST_CASE("regression: an unreadable state directory is reported, not an abort") {
  testing::TempDir dir;
  const std::string unreadable = "/tmp/" + std::string(300, 'd') + "/state.db";
  const auto config =
      dir.write("maintd.yaml", "state_database: sqlite3://" + unreadable + "\nschedules: []\n")
          .string();
  for (const auto* command : {"status", "history", "list"}) {
    CAPTURE(command);
    const auto r = testing::run_cli({command, "--config", config});
    CHECK(r.err.find("cannot be read: File name too long") != std::string::npos);
    CHECK(r.code == (std::string(command) == "list" ? 0 : 3));
  }
}
