// runs.cleanup_stale on the scraper's runs table, on SQLite and PostgreSQL.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include "runs_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;

namespace {

const std::string kType = "runs.cleanup_stale";

// The scraper's runs as the guide describes them: dead, resumable (both counters, a checkpoint
// with data), an empty checkpoint (not resumable), fresh runs of each state, a finished one.
template <class Backend>
void add_mixed_runs(ScraperRuns<Backend>& runs) {
  runs.add({.id = 1, .status = "running", .age = 26h + 30min});
  runs.add({.id = 2, .status = "running", .age = 3h, .extracted = 5});
  runs.add({.id = 3, .status = "running", .age = 3h, .skipped = 7});
  runs.add({.id = 4, .status = "running", .age = 3h});
  runs.checkpoint(4, R"({"tenders": [1, 2, 3]})");
  runs.add({.id = 5, .status = "running", .age = 3h});
  runs.checkpoint(5, "");
  runs.add({.id = 6, .status = "running", .age = 1h});
  runs.add({.id = 7, .status = "pending", .age = 2h});
  runs.add({.id = 8, .status = "submitted", .age = 45min});
  runs.add({.id = 9, .status = "submitted", .age = 10min});
  runs.add({.id = 10, .status = "completed", .age = 100h});
  runs.add({.id = 11, .status = "running", .age = 26h + 30min, .retries = 3});
}

}  // namespace

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: dead runs are retried, then failed, and resumable runs "
    "are left alone",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  add_mixed_runs(runs);
  auto run = runs.target.context(kType, runs.config());
  const json result = handler(kType).run(run->context);

  CHECK(result["stale"] == 8);
  CHECK(result["resumable"] == 3);
  CHECK(result["retried"] == 4);
  CHECK(result["failed"] == 1);
  CHECK(result["changed_meanwhile"] == 0);
  CHECK(ids_of(result["ids"]["resumable"]) == std::vector<std::string>{"2", "3", "4"});
  CHECK(ids_of(result["ids"]["retried"]) == std::vector<std::string>{"1", "5", "7", "8"});
  CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"11"});
  CHECK_FALSE(result["stopped_early"].template get<bool>());

  for (int id : {1, 5, 7, 8}) {
    CAPTURE(id);
    CHECK(runs.status(id) == "pending");
    CHECK(runs.retries(id) == 1);
    CHECK_FALSE(runs.completed(id));
  }
  // Resumable, fresh and finished runs: untouched.
  for (int id : {2, 3, 4}) CHECK(runs.status(id) == "running");
  CHECK(runs.status(6) == "running");
  CHECK(runs.status(9) == "submitted");
  CHECK(runs.status(10) == "completed");
  for (int id : {2, 3, 4, 6, 9, 10}) CHECK(runs.retries(id) == 0);

  CHECK(runs.status(11) == "failed");
  CHECK(runs.completed(11));
  CHECK(runs.error(11) ==
        "Stale run: stuck in 'running' for 26.5 hours (threshold 2 hours) with no progress and "
        "no checkpoint; failed after 3 retries");
  // Nothing was deleted.
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs") == 11);
  CHECK(run->logged("failed"));
  REQUIRE_FALSE(run->progress->empty());
  CHECK(run->progress->back().done == 8);
  CHECK(run->progress->back().total == 8);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: a dry run counts and changes nothing", Backend,
                   MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  add_mixed_runs(runs);
  const auto before = runs.snapshot();
  auto run = runs.target.context(kType, runs.config(), /*dry_run=*/true);
  const json result = handler(kType).run(run->context);

  CHECK(result["dry_run"] == true);
  CHECK(result["stale"] == 8);
  CHECK(result["would_change"] == 5);  // retried + failed: not the resumable ones
  CHECK(result["resumable"] == 3);
  CHECK(result["retried"] == 4);
  CHECK(result["failed"] == 1);
  CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"11"});
  CHECK(runs.snapshot() == before);
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: the scraper guide's setup: 24 hours, no retries, "
    "'Timeout - Auto-cleaned'",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 25h});
  runs.add({.id = 2, .status = "running", .age = 23h});  // slow portal: not stale yet
  runs.add({.id = 3, .status = "running", .age = 30h});
  runs.checkpoint(3, "{\"page\": 17}");
  runs.add({.id = 4, .status = "running", .age = 30h});
  runs.checkpoint(4, "");  // an empty checkpoint file is no checkpoint
  runs.add({.id = 5, .status = "running", .age = 30h, .extracted = 0, .skipped = 0});
  auto run = runs.target.context(kType, runs.config({{"stale_running_hours", 24},
                                                     {"max_retries", 0},
                                                     {"failed_status", "Timeout - Auto-cleaned"}}));
  const json result = handler(kType).run(run->context);

  CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"1", "4", "5"});
  CHECK(ids_of(result["ids"]["resumable"]) == std::vector<std::string>{"3"});
  CHECK(result["retried"] == 0);
  CHECK(runs.status(1) == "Timeout - Auto-cleaned");
  CHECK(runs.error(1) ==
        "Stale run: stuck in 'running' for 25.0 hours (threshold 24 hours) with no progress and "
        "no checkpoint");
  CHECK(runs.status(2) == "running");
  CHECK(runs.status(3) == "running");
  CHECK(runs.status(4) == "Timeout - Auto-cleaned");
  // max_retries 0: the retry count is neither read nor written.
  for (int id : {1, 4, 5}) CHECK(runs.retries(id) == 0);
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: retried until max_retries, then failed with its "
    "age",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 3h});
  const json config = runs.config({{"max_retries", 2}, {"updated_at_column", "updated_at"}});

  // Pass 1: running for 3 hours, retried. updated_at restarts its clock.
  auto first = runs.target.context(kType, config);
  CHECK(handler(kType).run(first->context)["retried"] == 1);
  CHECK(runs.status(1) == "pending");
  CHECK(runs.retries(1) == 1);

  // Half an hour later it is pending within its hour: not stale, nothing happens.
  runs.target.now += 30min;
  auto early = runs.target.context(kType, config);
  CHECK(handler(kType).run(early->context)["stale"] == 0);

  // Pending for two hours: retried again; then pending two more hours: no retries left.
  runs.target.now += 90min;
  auto second = runs.target.context(kType, config);
  CHECK(handler(kType).run(second->context)["retried"] == 1);
  CHECK(runs.retries(1) == 2);
  runs.target.now += 2h;
  auto third = runs.target.context(kType, config);
  const json result = handler(kType).run(third->context);
  CHECK(result["retried"] == 0);
  CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"1"});
  CHECK(runs.status(1) == "failed");
  CHECK(runs.retries(1) == 2);
  CHECK(runs.completed(1));
  CHECK(runs.error(1) ==
        "Stale run: stuck in 'pending' for 2.0 hours (threshold 1 hour) with no progress and no "
        "checkpoint; failed after 2 retries");
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: a run that completes between read and update is not "
    "touched",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 26h, .retries = 3});  // would be failed
  runs.add({.id = 2, .status = "running", .age = 26h});                // would be retried
  runs.add({.id = 3, .status = "running", .age = 26h, .retries = 3});  // stays dead
  auto run = runs.target.context(kType, runs.config());
  // The handler logs its plan after reading a batch and before changing any of it: that is
  // where the application's worker finishes runs 1 and 2, on its own connection. Only the
  // status guard of the UPDATEs stands between them and a wrong 'failed' or 'pending'.
  int plans = 0;
  const auto record = run->context.on_event;
  run->context.on_event = [&](registry::EventLevel level, std::string_view event,
                              std::string_view message) {
    if (event == "planned" && plans++ == 0) {
      runs.target.exec(
          "UPDATE runs SET status = 'completed', extracted_total_tenders = 0 "
          "WHERE id IN (1, 2)");
    }
    record(level, event, message);
  };
  const json result = handler(kType).run(run->context);

  CHECK(plans == 1);
  CHECK(ids_of(result["ids"]["changed_meanwhile"]) == std::vector<std::string>{"2", "1"});
  CHECK(result["failed"] == 1);
  CHECK(result["retried"] == 0);
  CHECK(runs.status(1) == "completed");
  CHECK(runs.status(2) == "completed");
  CHECK(runs.error(1) == "NULL");
  CHECK_FALSE(runs.completed(1));
  CHECK(runs.retries(2) == 0);
  CHECK(runs.status(3) == "failed");
  CHECK(run->logged("changed_meanwhile"));
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: two concurrent runs change each row once",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  for (int id = 1; id <= 40; ++id) runs.add({.id = id, .status = "running", .age = 5h});
  for (int id = 41; id <= 50; ++id) {
    runs.add({.id = id, .status = "running", .age = 5h, .retries = 3});
  }
  const json config = runs.config({{"batch_size", 5}, {"updated_at_column", "updated_at"}});
  auto a = runs.target.context(kType, config);
  auto b = runs.target.context(kType, config);
  json result_a, result_b;
  std::string error_a, error_b;
  const auto& cleanup = handler(kType);
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

  CHECK(result_a["retried"].template get<int>() + result_b["retried"].template get<int>() == 40);
  CHECK(result_a["failed"].template get<int>() + result_b["failed"].template get<int>() == 10);
  std::multiset<std::string> changed;
  for (const auto* result : {&result_a, &result_b}) {
    for (const char* kind : {"retried", "failed"}) {
      for (const auto& id : (*result)["ids"][kind]) changed.insert(id.template get<std::string>());
    }
  }
  CHECK(changed.size() == 50);
  CHECK(std::set<std::string>(changed.begin(), changed.end()).size() == 50);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'pending' AND retry_count = "
                          "1") == 40);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'failed' AND retry_count = "
                          "3") == 10);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: stops cleanly between batches when cancelled",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  for (int id = 1; id <= 12; ++id) runs.add({.id = id, .status = "running", .age = 5h});
  auto run = runs.target.context(kType, runs.config({{"batch_size", 5}}));
  const auto record = run->context.on_progress;
  run->context.on_progress = [&](const registry::Progress& progress) {
    record(progress);
    run->stop.request_stop();  // Ctrl-C during the first batch
  };
  const json result = handler(kType).run(run->context);

  CHECK(result["stopped_early"] == true);
  CHECK(result["batches"] == 1);
  CHECK(result["retried"] == 5);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'pending'") == 5);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'running'") == 7);
  CHECK(run->logged("stopped"));
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: an identifier injection in config is rejected",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 5h});
  const auto& schema = handler(kType).schema;

  auto issues = schema.check(runs.config({{"table", "runs; DROP TABLE runs"}}), {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "table");
  CHECK(issues[0].message ==
        "'runs; DROP TABLE runs' is not an SQL identifier (letters, digits and '_', not starting "
        "with a digit; optionally 'schema.' before it)");

  issues = schema.check(
      runs.config({{"progress_columns", {"extracted_total_tenders", "1) OR (1=1"}}}), {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "progress_columns");
  CHECK(issues[0].message == "'1) OR (1=1' is not an SQL identifier");

  // A config that skipped validation is refused again before any SQL is built.
  auto run = runs.target.context(kType, runs.config());
  run->context.config["status_column"] = "status\" = status OR \"x";
  const auto message =
      thrown_message<std::invalid_argument>([&] { handler(kType).run(run->context); });
  CHECK(contains(message, "is not an SQL identifier"));
  CHECK(runs.status(1) == "running");
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: check_database names missing columns", Backend,
                   MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  const auto& check = handler(kType).check_database;
  REQUIRE(check);
  const auto sessions = runs.target.sessions();
  const auto with_defaults = [&](const json& config) {
    return handler(kType).schema.with_defaults(config);
  };

  CHECK(check(with_defaults(runs.config()), sessions).empty());

  auto issues = check(with_defaults(runs.config({{"progress_columns", {"extracted_total_tender"}},
                                                 {"retry_count_column", "retries"}})),
                      sessions);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "progress_columns");
  CHECK(issues[0].message ==
        "column 'extracted_total_tender' does not exist in table 'runs' (did you mean "
        "'extracted_total_tenders'?)");
  CHECK(issues[1].key == "retry_count_column");
  CHECK(contains(issues[1].message, "column 'retries' does not exist in table 'runs'"));

  // Without retries the retry column is not needed.
  CHECK(check(with_defaults(runs.config({{"max_retries", 0}, {"retry_count_column", "retries"}})),
              sessions)
            .empty());

  issues = check(with_defaults(runs.config({{"table", "scrape_runs"}})), sessions);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "table");
  CHECK(issues[0].message == "table 'scrape_runs' does not exist in the database");

  issues = check(with_defaults(runs.config({{"checkpoint_path", "/var/lib/scraper/{run}.json"}})),
                 sessions);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "checkpoint_path: unknown placeholder '{run}' (use {id} or {key})");
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: a table with only a status and completed_at (optional "
    "columns unset)",
    Backend, MAINTD_BACKENDS) {
  // The scraper guide's table: nothing to write an error into, no retry count, no updated_at.
  Target<Backend> target;
  const char* ts = target.postgres ? "timestamptz" : "TEXT";
  target.exec(fmt::format(
      "CREATE TABLE runs (id INTEGER PRIMARY KEY, portal_name TEXT, status TEXT NOT NULL, "
      "started_at {0}, completed_at {0})",
      ts));
  target.exec(fmt::format(
      "INSERT INTO runs (id, portal_name, status, started_at) VALUES (1, 'p', 'running', {}), "
      "(2, 'p', 'running', {})",
      target.ago(30h), target.ago(1h)));
  json config = {{"database", "app"},          {"table", "runs"},
                 {"age_column", "started_at"}, {"submitted_status", ""},
                 {"pending_status", ""},       {"stale_running_hours", 24},
                 {"max_retries", 0},           {"failed_status", "Timeout - Auto-cleaned"}};
  // Unset as a schedule file (null), as `--set error_column=` ("") does.
  for (const json& unset : {json(nullptr), json("")}) {
    CAPTURE(unset.dump());
    target.exec("UPDATE runs SET status = 'running', completed_at = NULL");
    config["error_column"] = unset;
    const auto& info = handler(kType);
    CHECK(info.check_database(info.schema.with_defaults(config), target.sessions()).empty());
    auto run = target.context(kType, config);
    const json result = handler(kType).run(run->context);
    CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"1"});
    CHECK(target.scalar("SELECT status FROM runs WHERE id = 1") == "Timeout - Auto-cleaned");
    CHECK(target.count("SELECT COUNT(*) FROM runs WHERE completed_at IS NOT NULL") == 1);
    CHECK(target.scalar("SELECT status FROM runs WHERE id = 2") == "running");
  }

  // Without completed_at either: only the status changes.
  target.exec("CREATE TABLE bare_runs (id INTEGER PRIMARY KEY, status TEXT, started_at " +
              std::string(ts) + ")");
  target.exec("INSERT INTO bare_runs VALUES (1, 'running', " + target.ago(30h) + ")");
  config["table"] = "bare_runs";
  config["completed_at_column"] = nullptr;
  auto bare = target.context(kType, config);
  CHECK(handler(kType).run(bare->context)["failed"] == 1);
  CHECK(target.scalar("SELECT status FROM bare_runs WHERE id = 1") == "Timeout - Auto-cleaned");

  // The pre-scrape check's cleanup writes the same columns, and no others.
  target.exec("INSERT INTO runs (id, portal_name, status, started_at) VALUES (3, 'q', 'running', " +
              target.ago(30h) + ")");
  json resume = config;
  resume.update({{"table", "runs"}, {"completed_at_column", ""}, {"error_column", nullptr}});
  resume.erase("max_retries");
  resume.update({{"portal", "q"}, {"key_column", "portal_name"}, {"apply_cleanup", true}});
  auto check = target.context("runs.check_resume", resume);
  const json answer = handler("runs.check_resume").run(check->context);
  CHECK(answer["action"] == "cleanup");
  CHECK(answer["cleaned_up"] == true);
  CHECK(target.scalar("SELECT status FROM runs WHERE id = 3") == "Timeout - Auto-cleaned");
  CHECK(target.count("SELECT COUNT(*) FROM runs WHERE id = 3 AND completed_at IS NULL") == 1);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_stale: a column it needs cannot be unset", Backend,
                   MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  const auto& schema = handler(kType).schema;
  for (const char* key : {"id_column", "status_column", "age_column"}) {
    CAPTURE(key);
    const auto issues = schema.check(runs.config({{key, ""}}), {"app"});
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message ==
          "'' is not an SQL identifier (letters, digits and '_', not starting with a digit; "
          "optionally 'schema.' before it)");
    CHECK(schema.check(runs.config({{key, nullptr}}), {"app"})[0].message ==
          "expected an SQL identifier, got nothing");
  }
  // Retries are counted in the retry column: without one, say so rather than retry forever.
  auto run = runs.target.context(kType, runs.config({{"retry_count_column", ""}}));
  CHECK(thrown_message<std::invalid_argument>([&] { handler(kType).run(run->context); }) ==
        "retry_count_column is unset, but max_retries is 3: name the column that counts "
        "retries, or set max_retries: 0 to fail dead runs at once");
  const auto issues = handler(kType).check_database(
      schema.with_defaults(runs.config({{"retry_count_column", nullptr}})), runs.target.sessions());
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message ==
        "retry_count_column is unset, but max_retries is 3: name the column that counts "
        "retries, or set max_retries: 0 to fail dead runs at once");
}
