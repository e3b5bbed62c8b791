// health.report, on SQLite and PostgreSQL: a migrated state database with failed and abandoned
// runs, reachable and unreachable targets, thresholds, and dry runs of neighbouring tasks (test
// handlers here, so that the report does not depend on the cleanup handlers' own results).
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "health_fixture.hpp"
#include "runs_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE_TEMPLATE("handlers: health: databases, and failed and abandoned runs in the window",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  add_run(target, "release-claims", "failed", 1h, "boom");
  add_run(target, "release-claims", "timed_out", 3h, "timed out after 30s");
  add_run(target, "nightly", "abandoned", 5h);
  add_run(target, "nightly", "failed", 30h, "outside the window");
  add_run(target, "nightly", "completed", 2h);
  // The health task's own failures are not counted: a red report would keep the next red.
  add_run(target, "health.report", "failed", 1h, "health.report: 1 alert");

  auto run = health_run(target, {{"databases", {"app"}}});
  const json report = handler("health.report").run(run->context);

  CHECK(report["healthy"] == true);
  CHECK(report["status"] == "ok");
  CHECK(report["alerts"] == json::array());
  CHECK(report["warnings"] == json::array());
  CHECK(report["probes"] == json::array());
  CHECK(report["window"] == "1d");
  CHECK(report["since"] == "2026-11-24T12:00:00.000Z");
  CHECK(report["state_database"]["reachable"] == true);
  CHECK(report["state_database"]["backend"] == Backend::kName);
  REQUIRE(report["databases"].size() == 1);
  CHECK(report["databases"][0]["name"] == "app");
  CHECK(report["databases"][0]["reachable"] == true);
  CHECK(report["databases"][0]["latency_ms"].get<double>() >= 0.0);
  CHECK(report["databases"][0].contains("connect_ms"));

  const auto& runs = report["runs"];
  CHECK(runs["failed"] == 1);
  CHECK(runs["timed_out"] == 1);
  CHECK(runs["abandoned"] == 1);
  CHECK(runs["by_task"] == json{{"nightly", {{"abandoned", 1}}},
                                {"release-claims", {{"failed", 1}, {"timed_out", 1}}}});
  REQUIRE(runs["recent"].size() == 3);
  CHECK(runs["recent"][0]["task"] == "release-claims");
  CHECK(runs["recent"][0]["status"] == "failed");
  CHECK(runs["recent"][0]["error"] == "boom");
  CHECK(runs["recent"][2]["status"] == "abandoned");
  CHECK(report["problems"] == 3);
  CHECK(contains(event_message(*run, "healthy"),
                 "2 of 2 databases reachable; 2 failed and 1 abandoned runs in the last 1d"));

  // A shorter window leaves the older ones out.
  auto recent = health_run(target, {{"window", "2h"}});
  const json last_two_hours = handler("health.report").run(recent->context);
  CHECK(last_two_hours["runs"]["failed"] == 1);
  CHECK(last_two_hours["runs"]["timed_out"] == 0);
  CHECK(last_two_hours["runs"]["abandoned"] == 0);
}

TEST_CASE_TEMPLATE("handlers: health: an unreachable database is reported and fails the run",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  auto run = health_run(target, {{"databases", {"app", "down", "nope"}}});
  run->context.sessions = with_down(target);
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("health.report").run(run->context); });
  CHECK(message.starts_with("health.report: 2 alerts: database 'down' unreachable: "));
  CHECK(contains(message, "; database 'nope' unreachable: no database named 'nope'"));
  CHECK(message.find('\n') == std::string::npos);
  // A failed run keeps no result: the report is in the events.
  const json logged = json::parse(event_message(*run, "report"));
  CHECK(logged["healthy"] == false);
  CHECK(logged["databases"][0]["reachable"] == true);
  CHECK(logged["databases"][1]["reachable"] == false);
  CHECK_FALSE(logged["databases"][1]["error"].get<std::string>().empty());
  CHECK(run->logged("alert"));

  // Reported without failing when asked.
  auto lenient =
      health_run(target, {{"databases", {"app", "down"}}, {"fail_on_unreachable", false}});
  lenient->context.sessions = with_down(target);
  const json report = handler("health.report").run(lenient->context);
  CHECK(report["healthy"] == true);
  CHECK(report["status"] == "warn");
  REQUIRE(report["warnings"].size() == 1);
  CHECK(report["warnings"][0].get<std::string>().starts_with("database 'down' unreachable: "));
  CHECK(report["databases"][1]["reachable"] == false);
  CHECK(lenient->logged("unreachable"));

  // No state database at all: reported, and the runs are unknown.
  auto stateless = target.context("health.report", {{"fail_on_unreachable", false}});
  const json without_state = handler("health.report").run(stateless->context);
  CHECK(without_state["state_database"]["reachable"] == false);
  CHECK(without_state["runs"]["error"] == "the state database is unreachable");
}

TEST_CASE_TEMPLATE("handlers: health: thresholds turn the report into a failed run", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  add_run(target, "a", "failed", 1h, "boom");
  add_run(target, "a", "failed", 2h, "boom");
  add_run(target, "b", "abandoned", 1h);

  auto within = health_run(target, {{"max_failed_runs", 2}, {"alert_threshold", 3}});
  CHECK(handler("health.report").run(within->context)["healthy"] == true);

  auto over = health_run(target, {{"max_failed_runs", 1}, {"max_abandoned_runs", 0}});
  CHECK(thrown_message<std::runtime_error>([&] { handler("health.report").run(over->context); }) ==
        "health.report: 2 alerts: 2 failed or timed-out runs in the last 1d (max 1); 1 "
        "abandoned runs in the last 1d (max 0)");

  // The total: the failed run 2h ago is outside 90 minutes.
  auto total = health_run(target, {{"alert_threshold", 1}, {"window", "90m"}});
  CHECK(thrown_message<std::runtime_error>([&] { handler("health.report").run(total->context); }) ==
        "health.report: 1 alert: 2 problems (failed, timed-out and abandoned runs in the "
        "last 1h30m, and stale rows) (max 1)");
}

TEST_CASE_TEMPLATE("handlers: health: stale counts come from dry runs of the enabled cleanup tasks",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);

  struct Seen {
    std::vector<bool> dry_runs;
    std::vector<json> configs;
  };
  auto seen = std::make_shared<Seen>();
  const registry::HandlerInfo stale{
      "test.stale", "counts stale rows",
      registry::ConfigSchema(
          {registry::KeySpec{"count", registry::ValueType::integer, "", false, 7, {}, {}, {}}}),
      [seen](registry::HandlerContext& context) -> json {
        seen->dry_runs.push_back(context.dry_run);
        seen->configs.push_back(context.config);
        context.info("expired", "counting");
        return {{"dry_run", context.dry_run},
                {"stale", context.config["count"]},
                {"message", "some are stale"}};
      }};
  const registry::HandlerInfo broken{
      "test.broken", "fails", {}, [](registry::HandlerContext&) -> json {
        throw std::runtime_error("table 'claims' does not exist");
      }};
  const auto& noop = handler("debug.noop");

  const auto peers = [&] {
    return std::vector<registry::PeerTask>{
        {"release-claims", "test.stale", json::object(), true, &stale},
        {"mark-drafts", "test.stale", {{"count", 3}}, true, &stale},
        {"paused-cleanup", "test.stale", {{"count", 100}}, false, &stale},
        {"broken-cleanup", "test.broken", json::object(), true, &broken},
        {"heartbeat", "debug.noop", json::object(), true, &noop},
        {"report", "health.report", json::object(), true, &handler("health.report")},
    };
  };

  auto run = health_run(target, {{"stale_types", {"test.*", "debug.noop"}}});
  run->context.peers = peers;
  const json report = handler("health.report").run(run->context);
  CHECK(report["healthy"] == true);
  // A peer whose dry run failed is a warning: the report is not all well, the run stays green.
  CHECK(report["status"] == "warn");
  CHECK(report["warnings"] ==
        json{"dry run of 'broken-cleanup' failed: table 'claims' does not exist"});
  CHECK(report["stale"]["total"] == 10);
  const auto& listed = report["stale"]["peers"];
  REQUIRE(listed.size() == 4);
  CHECK(listed[0] == json{{"task", "release-claims"},
                          {"type", "test.stale"},
                          {"stale", 7},
                          {"message", "some are stale"}});
  CHECK(listed[1]["stale"] == 3);
  CHECK(listed[2]["task"] == "broken-cleanup");
  CHECK(listed[2]["error"] == "table 'claims' does not exist");
  CHECK(listed[3]["task"] == "heartbeat");
  CHECK(listed[3]["stale"].is_null());
  CHECK(report["problems"] == 10);
  // Each peer ran as a dry run, with its own config (schema defaults filled in).
  CHECK(seen->dry_runs == std::vector<bool>{true, true});
  CHECK(seen->configs[0] == json{{"count", 7}});
  CHECK(seen->configs[1] == json{{"count", 3}});
  // Its events are the health run's, named after the peer; the peer's error is a warning.
  CHECK(event_message(*run, "expired") == "release-claims: counting");
  CHECK(contains(event_message(*run, "peer"), "dry run of 'broken-cleanup' failed"));
  CHECK(run->context.dry_run == false);

  auto strict = health_run(target, {{"stale_types", {"test.stale"}}, {"max_stale", 9}});
  strict->context.peers = peers;
  CHECK(thrown_message<std::runtime_error>([&] {
          handler("health.report").run(strict->context);
        }) == "health.report: 1 alert: 10 stale rows the cleanup tasks would change (max 9)");

  // The default types are the cleanup handlers: none of these.
  auto defaults = health_run(target, json::object());
  defaults->context.peers = peers;
  CHECK(handler("health.report").run(defaults->context)["stale"]["peers"] == json::array());

  auto off = health_run(target, {{"peer_dry_runs", false}, {"stale_types", {"test.*"}}});
  off->context.peers = peers;
  CHECK_FALSE(handler("health.report").run(off->context).contains("stale"));
}

TEST_CASE_TEMPLATE("handlers: health: a limit set by a preset is unset with null or \"\"", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  add_run(target, "a", "failed", 1h, "boom");
  add_run(target, "b", "abandoned", 1h);
  auto run = health_run(target, {{"max_failed_runs", nullptr},
                                 {"max_abandoned_runs", ""},
                                 {"max_stale", nullptr},
                                 {"max_latency_ms", ""},
                                 {"alert_threshold", nullptr}});
  const json report = handler("health.report").run(run->context);
  CHECK(report["healthy"] == true);
  CHECK(report["problems"] == 2);

  const auto issues = handler("health.report").schema.check({{"max_failed_runs", "none"}}, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "expected an integer, got a string ('none')");
}

TEST_CASE_TEMPLATE("handlers: health: resumable stuck runs are reported apart, not as stale",
                   Backend, MAINTD_BACKENDS) {
  // The scraper's runs.cleanup_stale as a peer: stuck runs that it leaves alone (progress, a
  // checkpoint) are no work for it, so they are no alert either.
  ScraperRuns<Backend> runs;
  open_migrated(runs.target.backend);
  runs.add({.id = 1, .status = "running", .age = 30h, .extracted = 5});
  runs.add({.id = 2, .status = "running", .age = 30h, .skipped = 7});
  runs.add({.id = 3, .status = "running", .age = 30h});
  runs.checkpoint(3, R"({"page": 17})");
  const json cleanup = runs.config({{"submitted_status", ""},
                                    {"pending_status", ""},
                                    {"stale_running_hours", 24},
                                    {"max_retries", 0},
                                    {"failed_status", "Timeout - Auto-cleaned"}});
  const auto peers = [&] {
    return std::vector<registry::PeerTask>{
        {"scraper-stale-runs", "runs.cleanup_stale", cleanup, true, &handler("runs.cleanup_stale")},
    };
  };

  auto run = health_run(runs.target, {{"max_stale", 0}});
  run->context.peers = peers;
  const json report = handler("health.report").run(run->context);
  CHECK(report["healthy"] == true);
  CHECK(report["stale"]["total"] == 0);
  CHECK(report["stale"]["resumable"] == 3);
  REQUIRE(report["stale"]["peers"].size() == 1);
  CHECK(report["stale"]["peers"][0]["stale"] == 0);
  CHECK(report["stale"]["peers"][0]["resumable"] == 3);
  CHECK(report["problems"] == 0);
  CHECK(contains(event_message(*run, "healthy"), "; 0 stale (3 resumable, left alone)"));
  CHECK(contains(event_message(*run, "done"),
                 "scraper-stale-runs: 3 stale: 3 resumable, 0 to be retried, 0 to be failed"));

  // A dead run is work: it alone is counted, and the alert says what is left alone.
  runs.add({.id = 4, .status = "running", .age = 30h});
  auto dead = health_run(runs.target, {{"max_stale", 0}});
  dead->context.peers = peers;
  CHECK(thrown_message<std::runtime_error>([&] { handler("health.report").run(dead->context); }) ==
        "health.report: 1 alert: 1 stale rows the cleanup tasks would change (max 0; 3 "
        "resumable rows left alone)");
  for (int id : {1, 2, 3, 4}) CHECK(runs.status(id) == "running");
}
