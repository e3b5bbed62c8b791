// runs.cleanup_expired on an application's runs table with child rows, and on maintd's own
// history, on SQLite and PostgreSQL.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "handlers/runs_common.hpp"
#include "runs_fixture.hpp"
#include "store/run_status.hpp"
#include "store/timestamp.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;

namespace {

const std::string kType = "runs.cleanup_expired";

// The scraper's runs with two kinds of child rows, finished at various ages.
template <class Backend>
struct ExpiringRuns {
  ScraperRuns<Backend> runs;
  Target<Backend>& target = runs.target;

  ExpiringRuns() {
    target.exec(
        "CREATE TABLE maintd_run_events (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL "
        "REFERENCES runs (id), message TEXT)");
    target.exec(
        "CREATE TABLE run_artifacts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL "
        "REFERENCES runs (id))");
  }

  // A run finished `age` ago (never, when nullopt) with `events` events and one artifact.
  void add(int id, const std::string& status, std::optional<std::chrono::seconds> age,
           int events = 2) {
    target.exec(fmt::format(
        "INSERT INTO runs (id, portal_name, status, started_at, completed_at) VALUES ({}, 'p', "
        "'{}', {}, {})",
        id, status, target.ago(age.value_or(0s) + 1h), age ? target.ago(*age) : "NULL"));
    for (int i = 0; i < events; ++i) {
      target.exec(
          fmt::format("INSERT INTO maintd_run_events (id, run_id, message) VALUES ({}, {}, 'x')",
                      id * 100 + i, id));
    }
    target.exec(fmt::format("INSERT INTO run_artifacts (id, run_id) VALUES ({}, {})", id, id));
  }

  json config(const json& extra = json::object()) const {
    json config = {{"database", "app"},
                   {"table", "runs"},
                   {"child_tables", {"maintd_run_events", "run_artifacts"}}};
    config.update(extra);
    return config;
  }

  std::vector<std::string> remaining() {
    handlers::TargetSql sql(*target.sql);
    return sql.column("SELECT CAST(id AS TEXT) FROM runs ORDER BY id");
  }
};

template <class Backend>
void add_expiring(ExpiringRuns<Backend>& runs) {
  using namespace std::chrono;
  runs.add(1, "completed", days(40));
  runs.add(2, "failed", days(31));
  runs.add(3, "cancelled", days(90));
  runs.add(4, "timed_out", days(35));
  runs.add(5, "completed", days(10));               // within the retention
  runs.add(6, "running", days(90));                 // never: not terminal
  runs.add(7, "completed", std::nullopt);           // never: no finishing time
  runs.add(8, "Timeout - Auto-cleaned", days(60));  // not in terminal_statuses by default
  runs.add(9, "failed", days(29) + hours(23));      // just within
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: runs.cleanup_expired: deletes old finished runs and their children",
                   Backend, MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  add_expiring(runs);
  auto run = runs.target.context(kType, runs.config({{"batch_size", 2}}));
  const json result = handler(kType).run(run->context);

  CHECK(result["expired"] == 4);
  CHECK(result["deleted"] == 4);
  std::vector<std::string> ids = ids_of(result["ids"]);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"1", "2", "3", "4"});
  CHECK(result["children_deleted"]["maintd_run_events"] == 8);
  CHECK(result["children_deleted"]["run_artifacts"] == 4);
  CHECK(result["batches"] == 3);  // 2 + 2 + an empty one that ends it

  CHECK(runs.remaining() == std::vector<std::string>{"5", "6", "7", "8", "9"});
  CHECK(runs.target.count("SELECT COUNT(*) FROM maintd_run_events") == 10);
  CHECK(runs.target.count("SELECT COUNT(*) FROM maintd_run_events WHERE run_id < 5") == 0);
  CHECK(runs.target.count("SELECT COUNT(*) FROM run_artifacts") == 5);

  // The scraper's own terminal status, named: now run 8 goes too.
  auto again = runs.target.context(
      kType,
      runs.config({{"terminal_statuses", {"completed", "failed", "Timeout - Auto-cleaned"}}}));
  CHECK(ids_of(handler(kType).run(again->context)["ids"]) == std::vector<std::string>{"8"});
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_expired: a dry run counts and samples, and deletes "
    "nothing",
    Backend, MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  add_expiring(runs);
  auto run = runs.target.context(kType, runs.config(), /*dry_run=*/true);
  const json result = handler(kType).run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["expired"] == 4);
  CHECK(result["would_change"] == 4);  // what health.report counts
  CHECK(result["deleted"] == 0);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"1", "2", "3", "4"});
  CHECK(result["children_deleted"]["maintd_run_events"] == 8);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs") == 9);
  CHECK(runs.target.count("SELECT COUNT(*) FROM maintd_run_events") == 18);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_expired: two concurrent runs delete each row once",
                   Backend, MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  for (int id = 1; id <= 60; ++id) runs.add(id, "completed", std::chrono::days(40), 1);
  runs.add(61, "running", std::chrono::days(40), 1);
  const auto& cleanup = handler(kType);
  auto a = runs.target.context(kType, runs.config({{"batch_size", 7}}));
  auto b = runs.target.context(kType, runs.config({{"batch_size", 7}}));
  json result_a, result_b;
  std::string error_a, error_b;
  const auto go = [&cleanup](registry::HandlerContext& context, json& result, std::string& error) {
    try {
      result = cleanup.run(context);
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  std::thread ta(go, std::ref(a->context), std::ref(result_a), std::ref(error_a));
  std::thread tb(go, std::ref(b->context), std::ref(result_b), std::ref(error_b));
  ta.join();
  tb.join();
  REQUIRE(error_a.empty());
  REQUIRE(error_b.empty());
  CHECK(result_a["deleted"].template get<int>() + result_b["deleted"].template get<int>() == 60);
  CHECK(result_a["children_deleted"]["maintd_run_events"].template get<int>() +
            result_b["children_deleted"]["maintd_run_events"].template get<int>() ==
        60);
  CHECK(runs.remaining() == std::vector<std::string>{"61"});
  CHECK(runs.target.count("SELECT COUNT(*) FROM maintd_run_events") == 1);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_expired: stops cleanly between batches when cancelled",
                   Backend, MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  for (int id = 1; id <= 12; ++id) runs.add(id, "failed", std::chrono::days(40), 1);
  auto run = runs.target.context(kType, runs.config({{"batch_size", 5}}));
  const auto record = run->context.on_progress;
  run->context.on_progress = [&](const registry::Progress& progress) {
    record(progress);
    run->stop.request_stop();
  };
  const json result = handler(kType).run(run->context);
  CHECK(result["stopped_early"] == true);
  CHECK(result["deleted"] == 5);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs") == 7);
  CHECK(runs.target.count("SELECT COUNT(*) FROM maintd_run_events") == 7);
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_expired: with no table, maintd's own history is kept "
    "bounded",
    Backend, MAINTD_BACKENDS) {
  Target<Backend> target;  // unused as a target: no table is configured
  Backend state;
  open_migrated(state);
  const auto url = state.url();
  auto sql = store::open_target_session(url);
  const auto at = [&](std::chrono::hours ago) {
    return store::format_timestamp(
        std::chrono::time_point_cast<std::chrono::milliseconds>(target.now - ago));
  };
  int next_id = 0;
  const auto add = [&](const std::string& status, std::optional<std::chrono::hours> finished,
                       std::chrono::hours created) {
    const int id = ++next_id;
    *sql << fmt::format(
        "INSERT INTO maintd_runs (id, task_name, task_type, trigger_type, status, created_at, "
        "finished_at) VALUES ({}, 'gc', 'runs.cleanup_expired', 'schedule', '{}', '{}', {})",
        id, status, at(created), finished ? "'" + at(*finished) + "'" : "NULL");
    for (int i = 0; i < 3; ++i) {
      *sql << fmt::format(
          "INSERT INTO maintd_run_events (run_id, at, level, event, message) VALUES ({}, '{}', "
          "'info', "
          "'x', 'y')",
          id, at(created));
    }
  };
  using std::chrono::hours;
  add("completed", hours(24 * 40), hours(24 * 40 + 1));  // 1
  add("failed", hours(24 * 31), hours(24 * 31));         // 2
  add("timed_out", hours(24 * 45), hours(24 * 45));      // 3
  add("cancelled", hours(24 * 50), hours(24 * 50));      // 4
  add("skipped", std::nullopt, hours(24 * 60));          // 5: never finished, by created_at
  add("abandoned", hours(24 * 90), hours(24 * 90));      // 6: may still finish late: kept
  add("running", std::nullopt, hours(24 * 90));          // 7: kept
  add("pending", std::nullopt, hours(24 * 90));          // 8: kept
  add("completed", hours(24 * 29), hours(24 * 29));      // 9: within the retention
  add("completed", hours(24 * 29), hours(24 * 40));      // 10: finished recently: kept

  auto run = target.context(kType, json::object());
  run->context.state_sessions = [url] { return store::open_target_session(url); };
  const json result = handler(kType).run(run->context);
  CHECK(result["target"] == "maintd's own history (maintd_runs, maintd_run_events)");
  CHECK(result["deleted"] == 5);
  std::vector<std::string> ids = ids_of(result["ids"]);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"1", "2", "3", "4", "5"});
  CHECK(result["children_deleted"]["maintd_run_events"] == 15);

  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == 5);
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs WHERE id IN (6, 7, 8, 9, 10)") == 5);
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_run_events") == 15);
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_run_events WHERE run_id <= 5") == 0);
}

TEST_CASE("handlers: runs.cleanup_expired: maintd's terminal statuses are the store's") {
  std::set<std::string> store_terminal;
  for (auto status :
       {store::RunStatus::pending, store::RunStatus::running, store::RunStatus::completed,
        store::RunStatus::failed, store::RunStatus::timed_out, store::RunStatus::cancelled,
        store::RunStatus::abandoned, store::RunStatus::skipped}) {
    if (store::is_terminal(status)) store_terminal.insert(std::string(store::to_string(status)));
  }
  const auto& listed = handlers::runs::maintd_terminal_statuses();
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == store_terminal);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_expired: config and live schema checks", Backend,
                   MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  const auto& info = handler(kType);
  auto issues = info.schema.check(
      runs.config({{"child_tables", {"maintd_run_events; DELETE FROM runs"}}}), {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "child_tables");
  CHECK(issues[0].message == "'maintd_run_events; DELETE FROM runs' is not an SQL identifier");

  const auto sessions = runs.target.sessions();
  CHECK(info.check_database(info.schema.with_defaults(runs.config()), sessions).empty());
  // maintd's own tables need no check against a target.
  CHECK(info.check_database(info.schema.with_defaults(json::object()), sessions).empty());

  issues = info.check_database(
      info.schema.with_defaults(runs.config({{"child_tables", {"maintd_run_events", "run_logs"}},
                                             {"child_foreign_key", "run_id"},
                                             {"age_column", "finished_at"}})),
      sessions);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "age_column");
  CHECK(contains(issues[0].message, "column 'finished_at' does not exist in table 'runs'"));
  CHECK(issues[1].key == "child_tables");
  CHECK(issues[1].message == "table 'run_logs' does not exist in the database");

  issues = info.check_database(
      info.schema.with_defaults(runs.config({{"child_foreign_key", "runid"}})), sessions);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "child_foreign_key");
  CHECK(issues[0].message ==
        "column 'runid' does not exist in table 'maintd_run_events' (did you mean 'run_id'?)");
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_expired: table, child_tables and where unset with null or \"\"",
    Backend, MAINTD_BACKENDS) {
  ExpiringRuns<Backend> runs;
  add_expiring(runs);
  // Unset child_tables deletes no child rows; these reference their runs, so they go first.
  runs.target.exec("DELETE FROM maintd_run_events");
  runs.target.exec("DELETE FROM run_artifacts");
  auto run = runs.target.context(kType, runs.config({{"child_tables", nullptr}, {"where", ""}}));
  const json result = handler(kType).run(run->context);
  CHECK(result["deleted"] == 4);
  CHECK(result["children_deleted"] == json::object());

  // No table: maintd's own history, as when the key is absent.
  Backend state;
  open_migrated(state);
  const auto url = state.url();
  for (const json& unset : {json(nullptr), json("")}) {
    CAPTURE(unset.dump());
    auto own = runs.target.context(kType, {{"table", unset}, {"child_tables", ""}});
    own->context.state_sessions = [url] { return store::open_target_session(url); };
    CHECK(handler(kType).run(own->context)["target"] ==
          "maintd's own history (maintd_runs, maintd_run_events)");
    CHECK(handler(kType)
              .check_database(handler(kType).schema.with_defaults({{"table", unset}}),
                              runs.target.sessions())
              .empty());
  }
}
