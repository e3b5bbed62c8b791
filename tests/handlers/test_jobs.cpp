// jobs.fail_orphaned, on SQLite and PostgreSQL, against the crawl-job guide's crawl_jobs table.
#include <doctest/doctest.h>

#include <exception>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "handlers/jobs.hpp"
#include "jobs_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const json kConfig = {{"database", "app"}, {"table", "crawl_jobs"}};

template <class T>
std::string job(T& target, int id) {
  return target.scalar(
      fmt::format("SELECT status || '|' || COALESCE(error_message, '-') || '|' || "
                  "CASE WHEN completed_at IS NULL THEN 'open' ELSE 'closed' END || '|' || "
                  "COALESCE(CAST(total_pages AS TEXT), '-') FROM crawl_jobs WHERE id = {}",
                  id));
}

template <class T>
long long running(T& target) {
  return target.count("SELECT COUNT(*) FROM crawl_jobs WHERE status = 'running'");
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: jobs: running jobs past the grace period with no completion fail",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  add_job(target, 1, "running", 30min);            // orphaned
  add_job(target, 2, "running", 5min);             // within the grace period
  add_job(target, 3, "running", 30min, 1min, 17);  // completed_at set: finishing, not orphaned
  add_job(target, 4, "completed", 2h, 90min, 40);  // done
  add_job(target, 5, "failed", 3h, 2h);            // failed long ago
  add_job(target, 6, "running", 26h);              // orphaned
  auto run = target.context("jobs.fail_orphaned", kConfig);
  const json result = handler("jobs.fail_orphaned").run(run->context);

  CHECK(result["failed"] == 2);
  CHECK(result["orphaned"] == 2);
  CHECK(result["grace_minutes"] == 10);
  CHECK(result["cutoff"] == "2026-11-25T11:50:00.000Z");
  CHECK(std::set<json>(result["ids"].begin(), result["ids"].end()) == std::set<json>{"1", "6"});
  CHECK(job(target, 1) == "failed|Job process terminated unexpectedly (orphaned)|closed|-");
  CHECK(job(target, 6) == "failed|Job process terminated unexpectedly (orphaned)|closed|-");
  CHECK(job(target, 2) == "running|-|open|-");
  CHECK(job(target, 3) == "running|-|closed|17");
  CHECK(job(target, 4) == "completed|-|closed|40");
  CHECK(job(target, 5) == "failed|-|closed|-");
  // completed_at is the handler's now(), written as the backend writes instants (to the ms).
  CHECK(target.count("SELECT COUNT(*) FROM crawl_jobs WHERE id = 1 AND completed_at = " +
                     target.written(0s)) == 1);
  CHECK(run->logged("failed"));
}

TEST_CASE_TEMPLATE("handlers: jobs: names and status values are the application's", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  // Schema-qualified: PostgreSQL's own schema, SQLite's main database.
  if (target.postgres) target.exec("CREATE SCHEMA ops");
  const std::string table = target.postgres ? "ops.jobs" : "main.jobs";
  target.exec(fmt::format(
      "CREATE TABLE {0} (job_key TEXT PRIMARY KEY, state TEXT, began {1}, ended {1}, reason TEXT)",
      table, target.postgres ? "timestamptz" : "TEXT"));
  target.exec(
      fmt::format("INSERT INTO {} VALUES ('k1', 'RUNNING', {}, NULL, NULL), "
                  "('k2', 'RUNNING', {}, NULL, NULL), ('k3', 'running', {}, NULL, NULL)",
                  table, target.ago(45min), target.ago(20min), target.ago(2h)));
  const json config = {{"database", "app"},
                       {"table", table},
                       {"id_column", "job_key"},
                       {"status_column", "state"},
                       {"started_at_column", "began"},
                       {"completed_at_column", "ended"},
                       {"error_column", "reason"},
                       {"running_status", "RUNNING"},
                       {"failed_status", "ORPHANED"},
                       {"error_message", "worker vanished"},
                       {"grace_minutes", 30}};
  const auto& fail = handler("jobs.fail_orphaned");
  CHECK(fail.check_database(fail.schema.with_defaults(config), target.sessions()).empty());
  auto run = target.context("jobs.fail_orphaned", config);
  const json result = fail.run(run->context);
  CHECK(result["failed"] == 1);
  CHECK(result["ids"] == json::array({"k1"}));
  CHECK(target.scalar(fmt::format("SELECT state || ' ' || reason FROM {} WHERE job_key = 'k1'",
                                  table)) == "ORPHANED worker vanished");
  CHECK(target.count(fmt::format("SELECT COUNT(*) FROM {} WHERE ended IS NULL", table)) == 2);
}

TEST_CASE_TEMPLATE("handlers: jobs: dry run counts and samples, and changes nothing", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  add_job(target, 1, "running", 30min);
  add_job(target, 2, "running", 5min);
  add_job(target, 3, "running", 90min);
  auto run = target.context("jobs.fail_orphaned", kConfig, /*dry_run=*/true);
  const json result = handler("jobs.fail_orphaned").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["orphaned"] == 2);
  CHECK(result["would_change"] == 2);  // what health.report counts
  REQUIRE(result["sample"].size() == 2);
  CHECK(result["sample"][0] == json{{"id", "3"}, {"running_minutes", 90.0}});
  CHECK(result["sample"][1] == json{{"id", "1"}, {"running_minutes", 30.0}});
  CHECK(running(target) == 3);
}

TEST_CASE_TEMPLATE("handlers: jobs: batches commit one by one, with progress", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  for (int id = 1; id <= 25; ++id) add_job(target, id, "running", 1h);
  add_job(target, 26, "running", 1min);
  auto config = kConfig;
  config["batch_size"] = 10;
  auto run = target.context("jobs.fail_orphaned", config);
  const json result = handler("jobs.fail_orphaned").run(run->context);
  CHECK(result["failed"] == 25);
  CHECK(result["batches"] == 3);
  REQUIRE(run->progress->size() == 3);
  CHECK((*run->progress)[1].done == 20);
  CHECK((*run->progress)[1].total == 25);
  CHECK(running(target) == 1);
}

TEST_CASE_TEMPLATE("handlers: jobs: a job that completes between read and update stays completed",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  add_job(target, 1, "running", 30min);
  add_job(target, 2, "running", 30min);
  add_job(target, 3, "running", 30min);
  auto app = store::open_target_session(target.backend.url());
  auto run = target.context("jobs.fail_orphaned", kConfig);
  bool completed = false;
  const json result = handlers::fail_orphaned_jobs(run->context, [&] {
    if (completed) return;
    completed = true;
    // The crawler's atomic completion (the guide's complete_job), committed after the handler
    // read job 2 as orphaned and before its UPDATE.
    *app << "UPDATE crawl_jobs SET status = 'completed', completed_at = " + target.ago(0s) +
                ", total_pages = 42, error_message = NULL WHERE id = 2 AND status = 'running'";
  });
  CHECK(result["failed"] == 2);
  CHECK(job(target, 2) == "completed|-|closed|42");
  CHECK(job(target, 1) == "failed|Job process terminated unexpectedly (orphaned)|closed|-");
}

TEST_CASE_TEMPLATE("handlers: jobs: two concurrent runs fail each orphaned job once", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  for (int id = 1; id <= 50; ++id) add_job(target, id, "running", 1h);
  auto config = kConfig;
  config["batch_size"] = 6;
  auto first = target.context("jobs.fail_orphaned", config);
  auto second = target.context("jobs.fail_orphaned", config);
  const std::array<json, 2> results = race_two_runs(*first, *second, [](auto& context, auto hook) {
    return handlers::fail_orphaned_jobs(context, hook);
  });
  // Each run saw every row as a candidate: they raced for all of them.
  CHECK(results[0]["orphaned"] == 50);
  CHECK(results[1]["orphaned"] == 50);
  CHECK(results[0]["failed"].get<long long>() + results[1]["failed"].get<long long>() == 50);
  std::set<std::string> ids;
  for (const auto& result : results) {
    for (const auto& id : result["ids"]) CHECK(ids.insert(id.get<std::string>()).second);
  }
  CHECK(ids.size() == 50);
  CHECK(running(target) == 0);
}

TEST_CASE_TEMPLATE("handlers: jobs: an identifier injection in config is refused", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  add_job(target, 1, "running", 1h);
  const auto& fail = handler("jobs.fail_orphaned");
  auto config = kConfig;
  config["status_column"] = "status = 'failed' WHERE 1=1 --";
  const auto issues = fail.schema.check(config, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "status_column");
  CHECK(issues[0].message ==
        "'status = 'failed' WHERE 1=1 --' is not an SQL identifier (letters, digits and '_', "
        "not starting with a digit; optionally 'schema.' before it)");

  registry::HandlerContext context;
  context.config = fail.schema.with_defaults(config);
  context.sessions = target.sessions();
  CHECK(contains(thrown_message<std::invalid_argument>([&] { fail.run(context); }),
                 "is not an SQL identifier"));
  CHECK(running(target) == 1);
}

TEST_CASE_TEMPLATE("handlers: jobs: --check-databases names a missing column", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  const auto& fail = handler("jobs.fail_orphaned");
  const auto check = [&](json config) {
    return fail.check_database(fail.schema.with_defaults(config), target.sessions());
  };
  CHECK(check(kConfig).empty());
  auto config = kConfig;
  config["completed_at_column"] = "complete_at";
  auto issues = check(config);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "completed_at_column");
  CHECK(issues[0].message ==
        "column 'complete_at' does not exist in table 'crawl_jobs' (did you mean "
        "'completed_at'?)");

  target.exec("CREATE TABLE scrape_jobs (id INTEGER PRIMARY KEY, status TEXT, started_at TEXT)");
  issues = check({{"database", "app"}, {"table", "scrape_jobs"}});
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "completed_at_column");
  CHECK(issues[1].key == "error_column");
  CHECK(
      contains(issues[1].message, "column 'error_message' does not exist in table 'scrape_jobs'"));
}

TEST_CASE_TEMPLATE("handlers: jobs: cancelled between batches, the finished batches stay", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  for (int id = 1; id <= 30; ++id) add_job(target, id, "running", 1h);
  auto config = kConfig;
  config["batch_size"] = 10;
  auto run = target.context("jobs.fail_orphaned", config);
  run->context.on_progress = [&](const registry::Progress&) { run->stop.request_stop(); };
  const json result = handler("jobs.fail_orphaned").run(run->context);
  CHECK(result["stopped_early"] == true);
  CHECK(result["failed"] == 10);
  CHECK(running(target) == 20);
}

TEST_CASE_TEMPLATE("handlers: jobs: a table without an error column, left unset", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  const char* ts = target.postgres ? "timestamptz" : "TEXT";
  target.exec(fmt::format(
      "CREATE TABLE crawl_jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, started_at {0}, "
      "completed_at {0})",
      ts));
  target.exec(
      fmt::format("INSERT INTO crawl_jobs VALUES (1, 'running', {}, NULL)", target.ago(30min)));
  for (const json& unset : {json(nullptr), json("")}) {
    CAPTURE(unset.dump());
    target.exec("UPDATE crawl_jobs SET status = 'running', completed_at = NULL");
    const json config = {{"database", "app"}, {"table", "crawl_jobs"}, {"error_column", unset}};
    const auto& info = handler("jobs.fail_orphaned");
    CHECK(info.check_database(info.schema.with_defaults(config), target.sessions()).empty());
    auto run = target.context("jobs.fail_orphaned", config);
    CHECK(handler("jobs.fail_orphaned").run(run->context)["failed"] == 1);
    CHECK(target.count("SELECT COUNT(*) FROM crawl_jobs WHERE status = 'failed' AND completed_at "
                       "IS NOT NULL") == 1);
  }
  // completed_at is the guard ("never completed"): it cannot be unset.
  const auto issues =
      handler("jobs.fail_orphaned")
          .schema.check(
              {{"database", "app"}, {"table", "crawl_jobs"}, {"completed_at_column", nullptr}},
              {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "expected an SQL identifier, got nothing");
}
