// claims.release_expired and claims.unclaim, on SQLite and PostgreSQL, against the guide's
// soup_dedupe table.
#include <doctest/doctest.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "claims_fixture.hpp"
#include "config/loader.hpp"
#include "drafts_fixture.hpp"
#include "handlers/claims.hpp"
#include "jobs_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

template <class T>
std::string claim_of(T& target, int id) {
  return target.scalar(fmt::format(
      "SELECT CASE WHEN wf_timestamp_claimed_at IS NULL THEN 'free' ELSE 'held' END || '/' || "
      "COALESCE(claimed_by, '-') FROM soup_dedupe WHERE id = {}",
      id));
}

template <class T>
long long held(T& target) {
  return target.count("SELECT COUNT(*) FROM soup_dedupe WHERE wf_timestamp_claimed_at IS NOT NULL");
}

// Ids as a sorted list: RETURNING promises no order.
json sorted(json ids) {
  std::sort(ids.begin(), ids.end(), [](const json& a, const json& b) {
    return std::stoll(a.get<std::string>()) < std::stoll(b.get<std::string>());
  });
  return ids;
}

template <class T>
void add_expired(T& target, int from, int to) {
  for (int id = from; id <= to; ++id) add_task(target, id, 20min + std::chrono::seconds(id));
}

}  // namespace

HANDLER_TEST("handlers: claims: expired claims of incomplete work are released, nothing else") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_task(target, 1, 20min);                  // expired
  add_task(target, 2, 5min);                   // held, not expired
  add_task(target, 3, 2h, /*complete=*/true);  // expired, but its work is done
  add_task(target, 4, std::nullopt);           // not claimed
  add_task(target, 5, 2h);                     // expired
  add_task(target, 6, 2h, false, /*path=*/1);  // excluded by `where`
  auto run = target.context("claims.release_expired", soup_dedupe_config());
  const json result = handler("claims.release_expired").run(run->context);

  CHECK(result["released"] == 2);
  CHECK(sorted(result["ids"]) == json::array({"1", "5"}));
  CHECK(result["ids_truncated"] == false);
  CHECK(result["timeout_minutes"] == 15);
  CHECK(result["cutoff"] == "2026-11-25T11:45:00Z");
  CHECK(result["dry_run"] == false);
  CHECK(result["stopped_early"] == false);
  CHECK(claim_of(target, 1) == "free/-");  // claimed_by cleared too
  CHECK(claim_of(target, 5) == "free/-");
  CHECK(claim_of(target, 2) == "held/scraper-2");
  CHECK(claim_of(target, 3) == "held/scraper-0");
  CHECK(claim_of(target, 4) == "free/-");
  CHECK(claim_of(target, 6) == "held/scraper-0");
  CHECK(run->logged("released"));

  // Run again: nothing left to release.
  auto again = target.context("claims.release_expired", soup_dedupe_config());
  const json second = handler("claims.release_expired").run(again->context);
  CHECK(second["released"] == 0);
  CHECK(second["ids"].empty());
}

HANDLER_TEST("handlers: claims: a status column with completed values marks finished work") {
  Target<Backend> target;
  target.exec(fmt::format(
      "CREATE TABLE tasks (task_id TEXT PRIMARY KEY, status TEXT, claimed_at {}, worker TEXT)",
      target.postgres ? "timestamptz" : "TEXT"));
  target.exec(
      fmt::format("INSERT INTO tasks VALUES ('GA_20251010_061823_000001', 'claimed', {0}, 'w1'), "
                  "('GA_20251010_061823_000002', 'done', {0}, 'w2'), "
                  "('GA_20251010_061823_000003', NULL, {0}, 'w3'), "
                  "('GA_20251010_061823_000004', 'published', {0}, 'w4')",
                  target.ago(40min)));
  auto run =
      target.context("claims.release_expired", {{"database", "app"},
                                                {"table", "tasks"},
                                                {"id_column", "task_id"},
                                                {"claimed_by_column", "worker"},
                                                {"status_column", "status"},
                                                {"completed_statuses", {"done", "published"}},
                                                {"timeout_minutes", 30}});
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["released"] == 2);
  CHECK(std::set<json>(result["ids"].begin(), result["ids"].end()) ==
        std::set<json>{"GA_20251010_061823_000001", "GA_20251010_061823_000003"});
  CHECK(target.count("SELECT COUNT(*) FROM tasks WHERE claimed_at IS NULL AND worker IS NULL") ==
        2);
  CHECK(target.count("SELECT COUNT(*) FROM tasks WHERE status IN ('done', 'published') AND "
                     "claimed_at IS NOT NULL") == 2);
}

HANDLER_TEST("handlers: claims: dry run is the expired-tasks diagnostic and changes nothing") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_task(target, 1, 20min);
  add_task(target, 2, 5min);
  add_task(target, 5, 2h);
  auto run = target.context("claims.release_expired", soup_dedupe_config(), /*dry_run=*/true);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["expired"] == 2);
  CHECK(result["message"] == "2 tasks have been claimed for more than 15 minutes");
  REQUIRE(result["sample"].size() == 2);
  CHECK(result["sample"][0] == json{{"id", "5"}, {"claimed_minutes", 120.0}});  // oldest first
  CHECK(result["sample"][1] == json{{"id", "1"}, {"claimed_minutes", 20.0}});
  CHECK(held(target) == 3);
  CHECK(run->logged("expired"));
}

HANDLER_TEST("handlers: claims: timeout_minutes=0 is the emergency release of every open claim") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_task(target, 1, 20min);
  add_task(target, 2, 10s);
  add_task(target, 3, 2h, /*complete=*/true);
  auto config = soup_dedupe_config();
  config["timeout_minutes"] = 0;
  auto run = target.context("claims.release_expired", config);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["released"] == 2);
  CHECK(result["cutoff"].is_null());
  CHECK(run->logged("release_all"));
  CHECK(claim_of(target, 2) == "free/-");
  CHECK(claim_of(target, 3) == "held/scraper-0");  // completed work keeps its claim
}

HANDLER_TEST("handlers: claims: batches, each committed, with progress and a bounded id list") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 120);
  add_task(target, 500, 1min);  // interleaved rows that stay: key ranges skip them correctly
  add_task(target, 130, std::nullopt);
  auto config = soup_dedupe_config();
  config["batch_size"] = 50;
  auto run = target.context("claims.release_expired", config);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["released"] == 120);
  CHECK(result["batches"] == 3);
  CHECK(result["ids"].size() == 100);
  CHECK(std::set<json>(result["ids"].begin(), result["ids"].end()).size() == 100);
  CHECK(result["ids_truncated"] == true);
  CHECK(held(target) == 1);
  REQUIRE(run->progress->size() == 3);
  CHECK((*run->progress)[0].done == 50);
  CHECK_FALSE((*run->progress)[0].total.has_value());  // no counting pass first
  CHECK(run->progress->back().done == 120);
}

HANDLER_TEST("handlers: claims: a task completed or re-claimed between read and update is kept") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 5);
  auto other = store::open_target_session(target.backend.url());  // the application
  auto run = target.context("claims.release_expired", soup_dedupe_config());
  int calls = 0;
  const json result = handlers::release_expired_claims(run->context, [&] {
    if (++calls > 1) return;
    // The batch has read its candidates (1-5); the application now completes task 2 and task 4
    // is released and claimed afresh by another scraper, each committed on its own connection.
    *other << "UPDATE soup_dedupe SET \"WF_Extraction_Complete\" = TRUE WHERE id = 2";
    *other << "UPDATE soup_dedupe SET wf_timestamp_claimed_at = " + target.ago(1min) +
                  ", claimed_by = 'scraper-new' WHERE id = 4";
  });
  CHECK(calls == 1);
  CHECK(result["released"] == 3);
  CHECK(sorted(result["ids"]) == json::array({"1", "3", "5"}));
  CHECK(claim_of(target, 2) == "held/scraper-2");
  CHECK(claim_of(target, 4) == "held/scraper-new");
}

HANDLER_TEST("handlers: claims: two concurrent runs release each claim once") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 60);
  auto config = soup_dedupe_config();
  config["batch_size"] = 7;
  auto first = target.context("claims.release_expired", config);
  auto second = target.context("claims.release_expired", config);
  const std::array<json, 2> results = race_two_runs(*first, *second, [](auto& context, auto hook) {
    return handlers::release_expired_claims(context, hook);
  });
  CHECK(results[0]["released"].get<long long>() + results[1]["released"].get<long long>() == 60);
  std::set<std::string> ids;
  for (const auto& result : results) {
    for (const auto& id : result["ids"]) CHECK(ids.insert(id.get<std::string>()).second);
  }
  CHECK(ids.size() == 60);
  CHECK(held(target) == 0);
}

HANDLER_TEST("handlers: claims: an identifier injection in config is refused before any SQL") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 3);
  const auto& release = handler("claims.release_expired");
  auto config = soup_dedupe_config();
  config["table"] = "soup_dedupe; DROP TABLE soup_dedupe";
  config["claimed_by_column"] = "claimed_by = NULL --";
  const auto issues = release.schema.check(config, {"app"});
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "claimed_by_column");
  CHECK(issues[0].message ==
        "'claimed_by = NULL --' is not an SQL identifier (letters, digits and '_', not starting "
        "with a digit; optionally 'schema.' before it)");
  CHECK(issues[1].key == "table");
  CHECK(issues[1].message ==
        "'soup_dedupe; DROP TABLE soup_dedupe' is not an SQL identifier (letters, digits and "
        "'_', not starting with a digit; optionally 'schema.' before it)");

  // Even a config that skipped the schema check never reaches the database.
  registry::HandlerContext context;
  context.config = release.schema.with_defaults(config);
  context.sessions = target.sessions();
  const auto message = thrown_message<std::invalid_argument>([&] { release.run(context); });
  CHECK(contains(message, "is not an SQL identifier"));
  CHECK(held(target) == 3);
}

HANDLER_TEST("handlers: claims: --check-databases names a missing column, table or bad where") {
  Target<Backend> target;
  create_soup_dedupe(target);
  const auto& release = handler("claims.release_expired");
  const auto check = [&](json config) {
    return release.check_database(release.schema.with_defaults(config), target.sessions());
  };
  CHECK(check(soup_dedupe_config()).empty());

  auto typo = soup_dedupe_config();
  typo["claimed_at_column"] = "wf_timestamp_claimd_at";
  auto issues = check(typo);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "claimed_at_column");
  CHECK(issues[0].message ==
        "column 'wf_timestamp_claimd_at' does not exist in table 'soup_dedupe' (did you mean "
        "'wf_timestamp_claimed_at'?)");

  auto defaults = json{{"database", "app"}, {"table", "soup_dedupe"}};  // claimed_at, id
  issues = check(defaults);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "claimed_at_column");
  CHECK(contains(issues[0].message, "column 'claimed_at' does not exist in table 'soup_dedupe'"));

  auto table = soup_dedupe_config();
  table["table"] = "soup_dedup";
  issues = check(table);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "table 'soup_dedup' does not exist in the database");

  auto where = soup_dedupe_config();
  where["where"] = "extraction_pth = 2";
  issues = check(where);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "where");
  CHECK(contains(issues[0].message, "the predicate does not work on table 'soup_dedupe': "));
  CHECK(contains(issues[0].message, "extraction_pth"));

  const auto& unclaim = handler("claims.unclaim");
  REQUIRE(unclaim.check_database);
  CHECK(unclaim.check_database(unclaim.schema.with_defaults(typo), target.sessions()).size() == 1);
}

HANDLER_TEST("handlers: claims: cancelled between batches, the finished batches stay") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 30);
  auto config = soup_dedupe_config();
  config["batch_size"] = 10;
  auto run = target.context("claims.release_expired", config);
  run->context.on_progress = [&](const registry::Progress&) { run->stop.request_stop(); };
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["stopped_early"] == true);
  CHECK(result["batches"] == 1);
  CHECK(result["released"] == 10);
  CHECK(held(target) == 20);
  CHECK(run->logged("stopped"));
}

HANDLER_TEST("handlers: claims: unclaim releases one claim and says whether it held") {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_task(target, 1, 3min);
  add_task(target, 2, std::nullopt);
  add_task(target, 3, 3min, /*complete=*/true);
  const auto unclaim = [&](const std::string& id, bool dry_run = false) {
    auto config = soup_dedupe_config();
    config["id"] = id;
    auto run = target.context("claims.unclaim", config, dry_run);
    return handler("claims.unclaim").run(run->context);
  };

  auto dry = unclaim("1", true);
  CHECK(dry["released"] == true);
  CHECK(dry["held"] == true);
  CHECK(claim_of(target, 1) == "held/scraper-1");

  auto result = unclaim("1");
  CHECK(result["found"] == true);
  CHECK(result["held"] == true);
  CHECK(result["released"] == true);
  CHECK(result["claimed_by"] == "scraper-1");
  CHECK(result["claimed_minutes"] == 3.0);
  CHECK(result["message"] == "Task unclaimed successfully");
  CHECK(claim_of(target, 1) == "free/-");

  result = unclaim("1");  // again: it no longer holds
  CHECK(result["held"] == false);
  CHECK(result["released"] == false);
  CHECK(result["message"] == "the task is not claimed: nothing to release");

  result = unclaim("2");
  CHECK(result["held"] == false);
  CHECK(result["released"] == false);

  result = unclaim("3");
  CHECK(result["held"] == true);
  CHECK(result["released"] == false);
  CHECK(claim_of(target, 3) == "held/scraper-0");

  result = unclaim("99");
  CHECK(result["found"] == false);
  CHECK(result["message"] == "no task with id '99' in soup_dedupe");

  auto run = target.context("claims.unclaim", soup_dedupe_config());
  CHECK(thrown_message<std::invalid_argument>([&] {
          handler("claims.unclaim").run(run->context);
        }) == "claims.unclaim: which task? give its id: --set id=...");
}

// schedules/examples/{claims,jobs,drafts}.yaml validate as written, and every table and column
// they name exists in the guides' schemas (the fixtures above): `maintd validate
// --check-databases` would pass against an application that has them.
HANDLER_TEST("handlers: the claims, jobs and drafts examples validate, against the live schema") {
  Target<Backend> target;
  create_soup_dedupe(target);
  create_crawl_jobs(target);
  create_creations(target);
  const auto repo = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  TempDir dir;
  const auto maintd_yaml =
      dir.write("maintd.yaml", fmt::format("state_database: sqlite3://{0}/state.db\n"
                                           "databases:\n  app: sqlite3://{0}/app.db\n"
                                           "schedules:\n  - {1}/schedules/examples/claims.yaml\n"
                                           "  - {1}/schedules/examples/jobs.yaml\n"
                                           "  - {1}/schedules/examples/drafts.yaml\n",
                                           dir.path().string(), repo.string()));
  const auto registry = handlers::builtin_registry();
  const auto loaded = config::load_config({maintd_yaml, &registry, config::process_environment()});
  for (const auto& diagnostic : loaded.diagnostics.errors()) FAIL_CHECK(diagnostic.to_string());
  REQUIRE(loaded.config.has_value());
  std::set<std::string> types;
  for (const auto& task : loaded.config->tasks) {
    CAPTURE(task.name);
    types.insert(task.type);
    const auto& info = handler(task.type);
    REQUIRE(info.check_database);
    for (const auto& issue : info.check_database(task.config, target.sessions())) {
      FAIL_CHECK("config." << issue.key << ": " << issue.message);
    }
  }
  CHECK(types == std::set<std::string>{"claims.release_expired", "claims.unclaim",
                                       "jobs.fail_orphaned", "drafts.mark_stale"});
}
