// One precision for every instant a handler computes, compares and writes: milliseconds, on
// SQLite and PostgreSQL alike. Each handler with a threshold gets three rows around it: one a
// millisecond older than the threshold (past it), one exactly at it and one a millisecond younger
// (both within it: "older than" is strict). The injected clock reads a quarter of a second past
// the full second, where whole-second cutoffs used to decide the rows by which second the run
// landed in.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "claims_fixture.hpp"
#include "drafts_fixture.hpp"
#include "jobs_fixture.hpp"
#include "runs_fixture.hpp"
#include "store/timestamp.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr auto kPastSecond = 250ms;  // now: 2026-11-25 12:00:00.250 UTC

// The three ages around `threshold`, as the rows' ids 1, 2 and 3.
constexpr std::chrono::milliseconds older(std::chrono::milliseconds threshold) {
  return threshold + 1ms;
}
constexpr std::chrono::milliseconds younger(std::chrono::milliseconds threshold) {
  return threshold - 1ms;
}

template <class T>
void past_the_second(T& target) {
  target.now += kPastSecond;
}

// `column` of row `id` holds exactly the run's now, to the millisecond.
template <class T>
bool holds_now(T& target, const std::string& table, const std::string& id_literal,
               const std::string& column) {
  return target.count(fmt::format("SELECT COUNT(*) FROM {} WHERE id = {} AND {} = {}", table,
                                  id_literal, column, target.written(0ms))) == 1;
}

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: thresholds: claims.release_expired decides to the millisecond",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  past_the_second(target);
  create_soup_dedupe(target);
  add_task(target, 1, older(15min));
  add_task(target, 2, 15min);
  add_task(target, 3, younger(15min));
  json config = soup_dedupe_config();
  config["timeout_minutes"] = 15;

  auto dry = target.context("claims.release_expired", config, /*dry_run=*/true);
  CHECK(handler("claims.release_expired").run(dry->context)["expired"] == 1);

  auto run = target.context("claims.release_expired", config);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"1"});
  CHECK(result["cutoff"] == "2026-11-25T11:45:00.250Z");
  CHECK(target.count("SELECT COUNT(*) FROM soup_dedupe WHERE wf_timestamp_claimed_at IS NULL") ==
        1);
}

TEST_CASE_TEMPLATE(
    "handlers: thresholds: runs.cleanup_stale and runs.check_resume decide to the ms", Backend,
    MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  past_the_second(runs.target);
  runs.add({.id = 1, .status = "running", .age = older(2h), .portal = "portal_a"});
  runs.add({.id = 2, .status = "running", .age = 2h, .portal = "portal_b"});
  runs.add({.id = 3, .status = "running", .age = younger(2h), .portal = "portal_c"});
  const json config = runs.config({{"max_retries", 0}, {"updated_at_column", "updated_at"}});

  // The pre-scrape check: only the run past the threshold is dead; the one exactly at it may
  // still be working.
  const auto action = [&](const std::string& portal) {
    auto check = runs.target.context("runs.check_resume", runs.config({{"portal", portal}}));
    return handler("runs.check_resume").run(check->context)["action"].template get<std::string>();
  };
  CHECK(action("portal_a") == "cleanup");
  CHECK(action("portal_b") == "wait");
  CHECK(action("portal_c") == "wait");

  auto run = runs.target.context("runs.cleanup_stale", config);
  const json result = handler("runs.cleanup_stale").run(run->context);
  CHECK(result["stale"] == 1);
  CHECK(ids_of(result["ids"]["failed"]) == std::vector<std::string>{"1"});
  CHECK(runs.status(2) == "running");
  CHECK(runs.status(3) == "running");
  // What it writes carries the same milliseconds.
  CHECK(holds_now(runs.target, "runs", "1", "completed_at"));
  CHECK(holds_now(runs.target, "runs", "1", "updated_at"));
}

TEST_CASE_TEMPLATE("handlers: thresholds: drafts.mark_stale decides to the millisecond", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  past_the_second(target);
  create_creations(target);
  add_creation(target, "c1", "pending", older(1h));
  add_creation(target, "c2", "pending", 1h);
  add_creation(target, "c3", "processing", younger(1h));
  json config = creations_config();
  config.erase("refund_sql");

  auto run = target.context("drafts.mark_stale", config);
  const json result = handler("drafts.mark_stale").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"c1"});
  CHECK(result["cutoff"] == "2026-11-25T11:00:00.250Z");
  CHECK(holds_now(target, "creations", "'c1'", "updated_at"));
  CHECK(target.count("SELECT COUNT(*) FROM creations WHERE status = 'failed'") == 1);
}

TEST_CASE_TEMPLATE("handlers: thresholds: jobs.fail_orphaned decides to the millisecond", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  past_the_second(target);
  create_crawl_jobs(target);
  add_job(target, 1, "running", older(10min));
  add_job(target, 2, "running", 10min);
  add_job(target, 3, "running", younger(10min));

  auto run = target.context("jobs.fail_orphaned", {{"database", "app"}, {"table", "crawl_jobs"}});
  const json result = handler("jobs.fail_orphaned").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"1"});
  CHECK(result["cutoff"] == "2026-11-25T11:50:00.250Z");
  CHECK(holds_now(target, "crawl_jobs", "1", "completed_at"));
}

TEST_CASE_TEMPLATE("handlers: thresholds: runs.cleanup_expired decides to the millisecond", Backend,
                   MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  past_the_second(runs.target);
  const std::chrono::milliseconds retention = std::chrono::days(30);
  int id = 0;
  for (const auto age : {older(retention), retention, younger(retention)}) {
    runs.target.exec(
        fmt::format("INSERT INTO runs (id, portal_name, status, started_at, completed_at) VALUES "
                    "({}, 'p', 'completed', {}, {})",
                    ++id, runs.target.ago(age + 1h), runs.target.ago(age)));
  }
  auto run = runs.target.context("runs.cleanup_expired",
                                 {{"database", "app"}, {"table", "runs"}, {"retention_days", 30}});
  const json result = handler("runs.cleanup_expired").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"1"});
}

TEST_CASE_TEMPLATE("handlers: thresholds: maintd's own history is kept to the millisecond", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  past_the_second(target);
  Backend state;
  open_migrated(state);
  const auto url = state.url();
  auto sql = store::open_target_session(url);
  const std::chrono::milliseconds retention = std::chrono::days(30);
  int id = 0;
  for (const auto age : {older(retention), retention, younger(retention)}) {
    const auto at =
        store::format_timestamp(std::chrono::floor<std::chrono::milliseconds>(target.now - age));
    *sql << fmt::format(
        "INSERT INTO maintd_runs (id, task_name, task_type, trigger_type, status, created_at, "
        "finished_at) VALUES ({}, 'gc', 'runs.cleanup_expired', 'schedule', 'completed', '{}', "
        "'{}')",
        ++id, at, at);
  }
  auto run = target.context("runs.cleanup_expired", {{"retention_days", 30}});
  run->context.state_sessions = [url] { return store::open_target_session(url); };
  const json result = handler("runs.cleanup_expired").run(run->context);
  CHECK(sorted(ids_of(result["ids"])) == std::vector<std::string>{"1"});
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == 2);
}
