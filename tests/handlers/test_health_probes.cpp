// health.report's sql probes and include_metrics, on SQLite and PostgreSQL: a queue's depth held
// to thresholds, every way a query can fail to be one number, the read-only session, and what
// include_metrics adds (and that nothing is added without it).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "health_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The application's queue: three jobs queued, one running.
template <class T>
void create_jobs(T& target) {
  target.exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL)");
  target.exec(
      "INSERT INTO jobs VALUES (1, 'queued'), (2, 'queued'), (3, 'queued'), (4, 'running')");
}

const std::string kQueueDepth = "SELECT count(*) FROM jobs WHERE status = 'queued'";

json sql_probe(const std::string& query, json thresholds = json::object()) {
  json probe = {{"name", "queue-depth"}, {"kind", "sql"}, {"database", "app"}, {"query", query}};
  probe.update(thresholds);
  return probe;
}

// The report of a health run with these probes, and nothing else checked.
template <class T>
json probe_report(T& target, const json& probes, std::unique_ptr<HandlerRun>* keep = nullptr) {
  auto run = health_run(
      target, {{"databases", json::array()}, {"peer_dry_runs", false}, {"probes", probes}});
  auto report = report_of(*run);
  if (keep != nullptr) *keep = std::move(run);
  return report;
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: health: an sql probe's value is ok, warn or fail by its thresholds",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  create_jobs(target);

  SUBCASE("ok: within the thresholds") {
    std::unique_ptr<HandlerRun> run;
    const json report = probe_report(
        target, json::array({sql_probe(kQueueDepth, {{"warn_above", 10}, {"fail_above", 100}})}),
        &run);
    CHECK(report["status"] == "ok");
    CHECK(report["healthy"] == true);
    REQUIRE(report["probes"].size() == 1);
    CHECK(report["probes"][0] == json{{"name", "queue-depth"},
                                      {"kind", "sql"},
                                      {"database", "app"},
                                      {"value", 3},
                                      {"status", "ok"},
                                      {"reason", "3 is within the thresholds"}});
    CHECK(contains(event_message(*run, "healthy"), "; 1 of 1 probes ok; "));
  }
  SUBCASE("warn: the run stays green, the report says warn") {
    std::unique_ptr<HandlerRun> run;
    const json report = probe_report(
        target, json::array({sql_probe(kQueueDepth, {{"warn_above", 2}, {"fail_above", 100}})}),
        &run);
    CHECK(report["status"] == "warn");
    CHECK(report["healthy"] == true);
    CHECK(report["alerts"] == json::array());
    CHECK(report["warnings"] == json{"probe 'queue-depth': 3 is above warn_above 2"});
    CHECK(report["probes"][0]["status"] == "warn");
    CHECK(event_message(*run, "probe") == "probe 'queue-depth': 3 is above warn_above 2");
    CHECK(contains(event_message(*run, "warn"), "; 0 of 1 probes ok; "));
  }
  SUBCASE("fail: the run fails with the probe's alert") {
    auto run = health_run(
        target, {{"databases", json::array()},
                 {"probes", json::array({sql_probe(kQueueDepth, {{"fail_above", 2.5}})})}});
    CHECK(thrown_message<std::runtime_error>([&] { handler("health.report").run(run->context); }) ==
          "health.report: 1 alert: probe 'queue-depth': 3 is above fail_above 2.5");
    const auto report = json::parse(event_message(*run, "report"));
    CHECK(report["status"] == "fail");
    CHECK(report["probes"][0]["status"] == "fail");
    CHECK(report["probes"][0]["value"] == 3);
  }
  SUBCASE("below: a number that should not drop") {
    const auto report = probe_report(
        target, json::array({sql_probe("SELECT count(*) FROM jobs WHERE status = 'running'",
                                       {{"fail_below", 1}, {"warn_below", 2}})}));
    CHECK(report["status"] == "warn");
    CHECK(report["probes"][0]["reason"] == "1 is below warn_below 2");
  }
  SUBCASE("fail wins over warn, and no thresholds is ok") {
    const auto report =
        probe_report(target, {sql_probe(kQueueDepth, {{"warn_above", 1}, {"fail_above", 2}}),
                              {{"name", "running"},
                               {"kind", "sql"},
                               {"database", "app"},
                               {"query", "SELECT count(*) FROM jobs WHERE status = 'running'"}}});
    CHECK(report["status"] == "fail");
    CHECK(report["probes"][0]["reason"] == "3 is above fail_above 2");
    CHECK(report["probes"][1]["status"] == "ok");
    CHECK(report["probes"][1]["reason"] == "1 (no thresholds)");
  }
}

TEST_CASE_TEMPLATE("handlers: health: an sql probe that is not one number fails, named", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  create_jobs(target);

  struct Case {
    std::string query;
    std::string error;
    std::string reason;  // how the reason starts
  };
  const std::vector<Case> cases = {
      {"SELECT count(*) FROM no_such_table", "query", "the query failed: "},
      {"SELECT id FROM jobs WHERE status = 'none'", "no_row", "the query returned no row; "},
      {"SELECT id FROM jobs", "rows", "the query returned more than one row; "},
      {"SELECT count(*), 1 FROM jobs", "columns", "the query returned 2 columns; "},
      {"SELECT max(id) FROM jobs WHERE status = 'none'", "not_a_number",
       "the query returned NULL, not a number"},
      {"SELECT 'many'", "not_a_number", "the query returned text ('many'), not a number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.query);
    const json report = probe_report(target, json::array({sql_probe(c.query)}));
    CHECK(report["status"] == "fail");
    const json& probe = report["probes"][0];
    CHECK(probe["status"] == "fail");
    CHECK(probe["error"] == c.error);
    CHECK(probe["value"].is_null());
    CHECK(probe["reason"].get<std::string>().starts_with(c.reason));
    CHECK(report["alerts"][0] == "probe 'queue-depth': " + probe["reason"].get<std::string>());
  }

  // Numbers however the database hands them back, comments left out.
  const json text =
      probe_report(target, json::array({sql_probe("SELECT '42' -- a count kept as text")}));
  CHECK(text["probes"][0]["value"] == 42);
  const json real = probe_report(target, json::array({sql_probe("SELECT 2.5")}));
  CHECK(real["probes"][0]["value"] == 2.5);
}

TEST_CASE_TEMPLATE("handlers: health: an sql probe cannot write", Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  create_jobs(target);
  for (const auto* query : {"DELETE FROM jobs", "UPDATE jobs SET status = 'done' RETURNING 1"}) {
    CAPTURE(query);
    const json report = probe_report(target, json::array({sql_probe(query)}));
    const json& probe = report["probes"][0];
    CHECK(probe["error"] == "query");
    const auto reason = probe["reason"].get<std::string>();
    CHECK_MESSAGE((contains(reason, "read-only") || contains(reason, "readonly")), reason);
  }
  CHECK(target.count("SELECT count(*) FROM jobs WHERE status = 'queued'") == 3);
}

TEST_CASE_TEMPLATE("handlers: health: include_metrics adds facts, and only when asked", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  open_migrated(target.backend);
  create_jobs(target);
  add_run(target, "nightly", "completed", 1h);  // each took a minute
  add_run(target, "nightly", "completed", 2h);
  add_run(target, "release-claims", "failed", 3h, "boom");
  add_run(target, "release-claims", "completed", 30h);  // outside the window

  const json config = {{"databases", {"app"}},
                       {"peer_dry_runs", false},
                       {"probes", json::array({sql_probe(kQueueDepth)})}};

  auto plain = health_run(target, config);
  const json without = handler("health.report").run(plain->context);
  CHECK_FALSE(without["state_database"].contains("metrics"));
  CHECK_FALSE(without["databases"][0].contains("metrics"));
  CHECK_FALSE(without["runs"].contains("metrics"));
  CHECK_FALSE(without["probes"][0].contains("metrics"));

  json asked = config;
  asked["include_metrics"] = true;
  auto run = health_run(target, asked);
  const json with = handler("health.report").run(run->context);
  for (const auto* where : {"state_database", "databases"}) {
    CAPTURE(where);
    const json& database = std::string(where) == "databases" ? with[where][0] : with[where];
    const json& metrics = database["metrics"];
    CHECK_FALSE(metrics.contains("error"));
    CHECK_FALSE(metrics["server_version"].get<std::string>().empty());
    CHECK(metrics["size_bytes"].get<long long>() > 0);
    if (target.postgres) {
      CHECK(metrics["connections"].get<long long>() >= 1);
    } else {
      CHECK_FALSE(metrics.contains("connections"));
    }
  }
  CHECK(with["runs"]["metrics"] ==
        json{{"by_status", {{"completed", 2}, {"failed", 1}}},
             {"completed", {{"count", 2}, {"avg_ms", 60000.0}, {"max_ms", 60000.0}}}});
  const json& probe = with["probes"][0]["metrics"];
  CHECK(probe["connect_ms"].get<double>() >= 0.0);
  CHECK(probe["query_ms"].get<double>() >= 0.0);
  // What the report says without metrics is there with them, unchanged.
  CHECK(with["probes"][0]["value"] == without["probes"][0]["value"]);
  CHECK(with["runs"]["failed"] == without["runs"]["failed"]);

  // No completed run in the window: no durations to give.
  auto short_window = health_run(target, {{"window", "1m"}, {"include_metrics", true}});
  const json quiet = handler("health.report").run(short_window->context);
  CHECK(quiet["runs"]["metrics"] ==
        json{{"by_status", json::object()},
             {"completed", {{"count", 0}, {"avg_ms", nullptr}, {"max_ms", nullptr}}}});
}
