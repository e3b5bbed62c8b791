// `maintd run`, `history` and `show-run` with the state database on a real PostgreSQL server
// (the harness starts it), and PostgreSQL going away: exit 3, password never shown.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_driver.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::PostgresCluster;
using maintd::testing::run_cli;
using maintd::testing::TempDir;
using nlohmann::json;

namespace {

// The cluster's URI with a password added (trust authentication ignores it; it must never show).
std::string with_password(const std::string& uri) {
  const std::string user = std::string("postgresql://") + PostgresCluster::kSuperuser;
  return user + ":pg-secret-83@" + uri.substr(user.size() + 1);
}

std::string write_config(const TempDir& dir, const std::string& state_uri) {
  dir.write("tasks.yaml", R"(
tasks:
  - {name: quick, type: debug.noop, schedule: "*/5 * * * *"}
  - {name: broken, type: debug.noop, schedule: "@hourly", config: {fail: true, message: boom}}
)");
  return dir
      .write("maintd.yaml", "state_database: \"" + state_uri + "\"\nschedules: [tasks.yaml]\n")
      .string();
}

}  // namespace

TEST_CASE("manual runs end to end on PostgreSQL") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("cli_run");
  TempDir dir;
  const auto config = write_config(dir, with_password(pg.uri("cli_run")));

  const auto ok = run_cli({"run", "quick", "--json", "--config", config});
  REQUIRE(ok.code == 0);
  CHECK(json::parse(ok.out)["run"]["status"] == "completed");
  const auto failed = run_cli({"run", "broken", "--config", config});
  CHECK(failed.code == 1);

  const auto history = json::parse(run_cli({"history", "--json", "--config", config}).out);
  REQUIRE(history["runs"].size() == 2);
  CHECK(history["runs"][0]["task"] == "broken");
  CHECK(history["runs"][0]["error"] == "boom");
  CHECK(history["runs"][1]["status"] == "completed");

  const auto shown = run_cli({"show-run", "2", "--config", config});
  CHECK(shown.code == 0);
  CHECK(shown.out.find("failed: boom") != std::string::npos);
}

TEST_CASE("PostgreSQL down: exit 3, a clear reason, and no password") {
  PostgresCluster pg;  // our own server, so stopping it disturbs no other test
  pg.create_database("cli_down");
  TempDir dir;
  const auto config = write_config(dir, with_password(pg.uri("cli_down")));
  pg.stop();
  const auto r = run_cli({"run", "quick", "--config", config});
  CHECK(r.code == 3);
  CHECK(r.err.find("state database") != std::string::npos);
  CHECK(r.err.find("***") != std::string::npos);
  CHECK(r.err.find("pg-secret-83") == std::string::npos);
  CHECK(r.out.empty());
}
