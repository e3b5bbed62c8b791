// max_per_run on every batching handler, on SQLite and PostgreSQL: a run changes exactly the cap's
// worth of the rows due (batch_size still bounds each transaction), says in its result that it
// was capped and how many rows it left, and the next run goes on with them. A dry run counts the
// same way.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "claims_fixture.hpp"
#include "drafts_fixture.hpp"
#include "jobs_fixture.hpp"
#include "runs_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// What a result says about the cap.
json cap_fields(const json& result) {
  return {{"max_per_run", result.at("max_per_run")},
          {"capped", result.at("capped")},
          {"remaining", result.at("remaining")}};
}

json capped(long long cap, long long remaining) {
  return {{"max_per_run", cap}, {"capped", remaining > 0}, {"remaining", remaining}};
}

// Runs `type` with `config` on `target`.
template <class T>
json run_once(T& target, const std::string& type, const json& config, bool dry_run = false) {
  auto run = target.context(type, config, dry_run);
  const json result = handler(type).run(run->context);
  CHECK(run->logged("capped") == result.at("capped").get<bool>());
  return result;
}

template <class T>
long long held_claims(T& target) {
  return target.count("SELECT COUNT(*) FROM soup_dedupe WHERE wf_timestamp_claimed_at IS NOT NULL");
}

}  // namespace

TEST_CASE_TEMPLATE(
    "handlers: claims: max_per_run releases exactly that many, the next run the rest", Backend,
    MAINTD_BACKENDS) {
  Target<Backend> target;
  create_soup_dedupe(target);
  // Integer keys, walked in spans (KeySpans): dense ones, and sparse ones whose spans grow long
  // and are read first. Two claims held but not expired stay held whatever the cap.
  int spacing = 1;
  SUBCASE("dense keys") {
    spacing = 1;
  }
  SUBCASE("sparse keys") {
    spacing = 1000;
  }
  CAPTURE(spacing);
  for (int i = 1; i <= 25; ++i) add_task(target, i * spacing, 20min);
  add_task(target, 26 * spacing, 5min);
  add_task(target, 27 * spacing, 5min);
  const json config = [] {
    json c = soup_dedupe_config();
    c.update({{"batch_size", 10}, {"max_per_run", 15}});
    return c;
  }();

  const json dry = run_once(target, "claims.release_expired", config, /*dry_run=*/true);
  CHECK(dry["expired"] == 25);
  CHECK(dry["would_change"] == 15);
  CHECK(cap_fields(dry) == capped(15, 10));
  CHECK(held_claims(target) == 27);

  const json first = run_once(target, "claims.release_expired", config);
  CHECK(first["released"] == 15);
  CHECK(cap_fields(first) == capped(15, 10));
  CHECK(held_claims(target) == 12);
  const json second = run_once(target, "claims.release_expired", config);
  CHECK(second["released"] == 10);
  CHECK(cap_fields(second) == capped(15, 0));
  CHECK(held_claims(target) == 2);

  // A cap below batch_size, and one of a single row: the first span is cut where it is reached.
  for (const int cap : {3, 1}) {
    CAPTURE(cap);
    target.exec(
        fmt::format("UPDATE soup_dedupe SET wf_timestamp_claimed_at = {}, claimed_by = 'x' "
                    "WHERE id <= {}",
                    target.ago(20min), 25 * spacing));
    json small = soup_dedupe_config();
    small["max_per_run"] = cap;
    const json result = run_once(target, "claims.release_expired", small);
    CHECK(result["released"] == cap);
    CHECK(cap_fields(result) == capped(cap, 25 - cap));
    CHECK(held_claims(target) == 27 - cap);
  }
}

TEST_CASE_TEMPLATE("handlers: claims: max_per_run on a text key releases exactly that many",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec(fmt::format("CREATE TABLE tasks (task_id TEXT PRIMARY KEY, claimed_at {})",
                          target.postgres ? "timestamptz" : "TEXT"));
  for (int i = 1; i <= 25; ++i) {
    target.exec(fmt::format("INSERT INTO tasks VALUES ('GA_{:06}', {})", i, target.ago(1h)));
  }
  const json config = {{"database", "app"},
                       {"table", "tasks"},
                       {"id_column", "task_id"},
                       {"batch_size", 10},
                       {"max_per_run", 15}};
  const auto held = [&] {
    return target.count("SELECT COUNT(*) FROM tasks WHERE claimed_at IS NOT NULL");
  };
  const json first = run_once(target, "claims.release_expired", config);
  CHECK(first["released"] == 15);
  CHECK(cap_fields(first) == capped(15, 10));
  CHECK(held() == 10);
  // The first 15 in key order: batches walk the key.
  CHECK(target.count("SELECT COUNT(*) FROM tasks WHERE claimed_at IS NULL AND task_id <= "
                     "'GA_000015'") == 15);
  const json second = run_once(target, "claims.release_expired", config);
  CHECK(second["released"] == 10);
  CHECK(cap_fields(second) == capped(15, 0));
  CHECK(held() == 0);
}

TEST_CASE_TEMPLATE("handlers: jobs: max_per_run fails exactly that many, the next run the rest",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_crawl_jobs(target);
  for (int id = 1; id <= 25; ++id) add_job(target, id, "running", 30min);
  add_job(target, 26, "running", 5min);  // within the grace period
  const json config = {
      {"database", "app"}, {"table", "crawl_jobs"}, {"batch_size", 10}, {"max_per_run", 15}};
  const auto running = [&] {
    return target.count("SELECT COUNT(*) FROM crawl_jobs WHERE status = 'running'");
  };

  const json dry = run_once(target, "jobs.fail_orphaned", config, /*dry_run=*/true);
  CHECK(dry["orphaned"] == 25);
  CHECK(dry["would_change"] == 15);
  CHECK(cap_fields(dry) == capped(15, 10));
  CHECK(running() == 26);

  const json first = run_once(target, "jobs.fail_orphaned", config);
  CHECK(first["failed"] == 15);
  CHECK(first["orphaned"] == 25);
  CHECK(cap_fields(first) == capped(15, 10));
  CHECK(running() == 11);
  const json second = run_once(target, "jobs.fail_orphaned", config);
  CHECK(second["failed"] == 10);
  CHECK(cap_fields(second) == capped(15, 0));
  CHECK(running() == 1);

  // Without a cap: null, and nothing capped.
  const json third =
      run_once(target, "jobs.fail_orphaned", {{"database", "app"}, {"table", "crawl_jobs"}});
  CHECK(third["failed"] == 0);
  CHECK(cap_fields(third) == json{{"max_per_run", nullptr}, {"capped", false}, {"remaining", 0}});
}

TEST_CASE_TEMPLATE("handlers: drafts: max_per_run fails and refunds exactly that many", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  for (int i = 1; i <= 25; ++i) add_creation(target, fmt::format("c{:02}", i), "pending", 2h);
  add_creation(target, "young", "pending", 10min);
  json config = creations_config();
  config.update({{"batch_size", 10}, {"max_per_run", 15}});
  const auto failed = [&] {
    return target.count("SELECT COUNT(*) FROM creations WHERE status = 'failed'");
  };
  const auto refunds = [&] { return target.count("SELECT COUNT(*) FROM token_ledger"); };

  const json dry = run_once(target, "drafts.mark_stale", config, /*dry_run=*/true);
  CHECK(dry["stale"] == 25);
  CHECK(dry["would_change"] == 15);
  CHECK(cap_fields(dry) == capped(15, 10));
  CHECK(failed() == 0);

  const json first = run_once(target, "drafts.mark_stale", config);
  CHECK(first["marked_failed"] == 15);
  CHECK(first["refunded"] == 15);
  CHECK(cap_fields(first) == capped(15, 10));
  CHECK(failed() == 15);
  CHECK(refunds() == 15);
  const json second = run_once(target, "drafts.mark_stale", config);
  CHECK(second["marked_failed"] == 10);
  CHECK(cap_fields(second) == capped(15, 0));
  CHECK(failed() == 25);
  CHECK(refunds() == 25);
}

TEST_CASE_TEMPLATE("handlers: runs.cleanup_expired: max_per_run deletes exactly that many runs",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  auto& target = runs.target;
  target.exec("CREATE TABLE maintd_run_events (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL)");
  for (int id = 1; id <= 25; ++id) {
    target.exec(fmt::format(
        "INSERT INTO runs (id, portal_name, status, started_at, completed_at) VALUES ({}, 'p', "
        "'completed', {}, {})",
        id, target.ago(std::chrono::days(41)), target.ago(std::chrono::days(40))));
    for (int e = 0; e < 2; ++e) {
      target.exec(fmt::format("INSERT INTO maintd_run_events VALUES ({}, {})", id * 10 + e, id));
    }
  }
  const json config = {{"database", "app"},
                       {"table", "runs"},
                       {"child_tables", {"maintd_run_events"}},
                       {"batch_size", 10},
                       {"max_per_run", 15}};
  const auto left = [&] { return target.count("SELECT COUNT(*) FROM runs"); };

  const json dry = run_once(target, "runs.cleanup_expired", config, /*dry_run=*/true);
  CHECK(dry["expired"] == 25);
  CHECK(dry["would_change"] == 15);
  CHECK(dry["children_deleted"]["maintd_run_events"] == 30);  // the 15 runs' events only
  CHECK(dry["ids"].size() == 15);
  CHECK(cap_fields(dry) == capped(15, 10));
  CHECK(left() == 25);

  const json first = run_once(target, "runs.cleanup_expired", config);
  CHECK(first["deleted"] == 15);
  CHECK(first["children_deleted"]["maintd_run_events"] == 30);
  CHECK(cap_fields(first) == capped(15, 10));
  CHECK(left() == 10);
  CHECK(target.count("SELECT COUNT(*) FROM maintd_run_events") == 20);
  const json second = run_once(target, "runs.cleanup_expired", config);
  CHECK(second["deleted"] == 10);
  CHECK(cap_fields(second) == capped(15, 0));
  CHECK(left() == 0);
  CHECK(target.count("SELECT COUNT(*) FROM maintd_run_events") == 0);
}

TEST_CASE_TEMPLATE(
    "handlers: runs.cleanup_stale: max_per_run counts the runs changed, not the resumable ones",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  // 20 runs stuck for 3 hours; every fourth has progress (resumable: left alone, not counted).
  for (int id = 1; id <= 20; ++id) {
    runs.add({.id = id, .status = "running", .age = 3h, .extracted = id % 4 == 0 ? 5 : 0});
  }
  const json config = runs.config({{"max_retries", 0}, {"batch_size", 4}, {"max_per_run", 6}});
  const auto failed = [&] {
    return runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'failed'");
  };

  const json dry = run_once(runs.target, "runs.cleanup_stale", config, /*dry_run=*/true);
  CHECK(dry["failed"] == 6);
  CHECK(dry["would_change"] == 6);
  CHECK(cap_fields(dry) == capped(6, 13));  // the stale runs after run 7, resumable ones too
  CHECK(failed() == 0);

  // Pages of 4, then of what the cap leaves: 1-4 (3 failed, 4 resumable), 5-7 (3 failed).
  const json first = run_once(runs.target, "runs.cleanup_stale", config);
  CHECK(first["failed"] == 6);
  CHECK(ids_of(first["ids"]["failed"]) == std::vector<std::string>{"1", "2", "3", "5", "6", "7"});
  CHECK(first["resumable"] == 1);
  CHECK(cap_fields(first) == capped(6, 13));
  CHECK(failed() == 6);
  // The next runs start again from the first stale run, pass the resumable ones by, and go on.
  const json second = run_once(runs.target, "runs.cleanup_stale", config);
  CHECK(second["failed"] == 6);
  CHECK(cap_fields(second) == capped(6, 5));
  CHECK(failed() == 12);
  const json third = run_once(runs.target, "runs.cleanup_stale", config);
  CHECK(third["failed"] == 3);
  CHECK(cap_fields(third) == capped(6, 0));
  CHECK(failed() == 15);
  CHECK(runs.target.count("SELECT COUNT(*) FROM runs WHERE status = 'running'") == 5);
}
