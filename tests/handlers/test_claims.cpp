// claims.release_expired and claims.unclaim, on SQLite and PostgreSQL, against the guide's
// soup_dedupe table.
#include <doctest/doctest.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <latch>
#include <limits>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "claims_fixture.hpp"
#include "config/loader.hpp"
#include "drafts_fixture.hpp"
#include "handlers/claims.hpp"
#include "handlers/support/batches.hpp"
#include "handlers/support/key_range.hpp"
#include "handlers/support/target_sql.hpp"
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

TEST_CASE_TEMPLATE("handlers: claims: expired claims of incomplete work are released, nothing else",
                   Backend, MAINTD_BACKENDS) {
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
  CHECK(result["cutoff"] == "2026-11-25T11:45:00.000Z");
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

TEST_CASE_TEMPLATE("handlers: claims: a status column with completed values marks finished work",
                   Backend, MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: dry run is the expired-tasks diagnostic and changes nothing",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_task(target, 1, 20min);
  add_task(target, 2, 5min);
  add_task(target, 5, 2h);
  auto run = target.context("claims.release_expired", soup_dedupe_config(), /*dry_run=*/true);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["expired"] == 2);
  CHECK(result["would_change"] == 2);  // what health.report counts
  CHECK(result["message"] == "2 tasks have been claimed for more than 15 minutes");
  REQUIRE(result["sample"].size() == 2);
  CHECK(result["sample"][0] == json{{"id", "5"}, {"claimed_minutes", 120.0}});  // oldest first
  CHECK(result["sample"][1] == json{{"id", "1"}, {"claimed_minutes", 20.0}});
  CHECK(held(target) == 3);
  CHECK(run->logged("expired"));
}

TEST_CASE_TEMPLATE(
    "handlers: claims: timeout_minutes=0 is the emergency release of every open claim", Backend,
    MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: batches, each committed, with progress and a bounded id list",
                   Backend, MAINTD_BACKENDS) {
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
  CHECK(result["ids"].size() == 100);
  CHECK(std::set<json>(result["ids"].begin(), result["ids"].end()).size() == 100);
  CHECK(result["ids_truncated"] == true);
  CHECK(held(target) == 1);
  // Spans of the integer key: 1-50, 51-100 and 101-150 (every key expired up to 120: 50 rows a
  // span, as asked), then spans grown where nothing is left (how fast depends on the time each
  // took) up to the last one, open above, which holds key 500.
  REQUIRE(run->progress->size() >= 4);
  CHECK(result["batches"] == run->progress->size());
  CHECK((*run->progress)[0].done == 50);
  CHECK((*run->progress)[1].done == 100);
  CHECK((*run->progress)[2].done == 120);
  CHECK_FALSE((*run->progress)[0].total.has_value());  // no counting pass first
  CHECK(run->progress->back().done == 120);
}

TEST_CASE_TEMPLATE(
    "handlers: claims: a text key is walked in pages read first, in batches as asked", Backend,
    MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec(fmt::format("CREATE TABLE tasks (task_id TEXT PRIMARY KEY, claimed_at {})",
                          target.postgres ? "timestamptz" : "TEXT"));
  for (int i = 1; i <= 25; ++i) {
    // '10' sorts before '9' as text: pages follow the key's own order.
    target.exec(fmt::format("INSERT INTO tasks VALUES ('{}', {})", i, target.ago(1h)));
  }
  auto run = target.context(
      "claims.release_expired",
      {{"database", "app"}, {"table", "tasks"}, {"id_column", "task_id"}, {"batch_size", 10}});
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["released"] == 25);
  CHECK(result["batches"] == 3);
  REQUIRE(run->progress->size() == 3);
  CHECK((*run->progress)[0].done == 10);
  CHECK((*run->progress)[1].done == 20);
  CHECK(target.count("SELECT COUNT(*) FROM tasks WHERE claimed_at IS NOT NULL") == 0);
}

TEST_CASE_TEMPLATE("handlers: claims: a row added past the largest key during the run is released",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_soup_dedupe(target);
  add_expired(target, 1, 30);
  auto other = store::open_target_session(target.backend.url());  // the application
  auto config = soup_dedupe_config();
  config["batch_size"] = 10;
  auto run = target.context("claims.release_expired", config);
  int calls = 0;
  const json result = handlers::release_expired_claims(run->context, [&] {
    // The walk read the largest key (30) before its first batch; the application adds a row
    // with an old claim far past it (a restored backup, a late import).
    if (++calls == 1) {
      *other << "INSERT INTO soup_dedupe (id, title, wf_timestamp_claimed_at, claimed_by, "
                "\"WF_Extraction_Complete\") VALUES (1000000, 'late', " +
                    target.ago(2h) + ", 'scraper-1', FALSE)";
    }
  });
  CHECK(result["released"] == 31);
  CHECK(held(target) == 0);
}

// The key spans themselves: every key of a table walked once, whatever the gaps between keys,
// in few spans; spans sized by what the batches before did.
TEST_CASE_TEMPLATE(
    "handlers: claims: integer key spans cover every key once, far apart or at 64 bits", Backend,
    MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE items (id BIGINT PRIMARY KEY, note TEXT)");
  const std::vector<long long> keys = {std::numeric_limits<long long>::min(),
                                       -5,
                                       0,
                                       1,
                                       2,
                                       3,
                                       1'000'000'000'000,
                                       std::numeric_limits<long long>::max() - 1,
                                       std::numeric_limits<long long>::max()};
  for (const long long key : keys)
    target.exec(fmt::format("INSERT INTO items VALUES ({}, 'x')", key));
  handlers::TargetSql sql(*target.sql);
  // Walks the keys with spans aiming at 2 rows each, with `condition` for the rows that match,
  // none of which is changed: the keys each span holds.
  const auto walk = [&](const std::string& condition) {
    auto spans = handlers::KeySpans::open(sql, "\"items\"", "\"id\"", 2);
    REQUIRE(spans.has_value());
    std::vector<std::vector<long long>> held;
    while (spans->next(sql, condition, {})) {
      REQUIRE(held.size() < 100);
      handlers::SqlParams params;
      spans->bind(params);
      held.emplace_back();
      for (const auto& id :
           sql.column("SELECT CAST(id AS TEXT) FROM items WHERE " + spans->condition(), params)) {
        held.back().push_back(std::stoll(id));
      }
      if (held.size() == 1) CHECK(spans->condition() == "\"id\" <= :span_to");  // open below
      spans->done(0, 1ms);  // nothing changed, quickly: the next span may be 4 times as long
      CHECK(spans->more() == (spans->condition() != "\"id\" >= :span_from"));  // open above
    }
    std::multiset<long long> seen;
    for (const auto& span : held) seen.insert(span.begin(), span.end());
    CHECK(seen == std::multiset<long long>(keys.begin(), keys.end()));
    return held;
  };

  // No row matches: spans of 2, 8, 32, ... keys, never read first: 2^64 keys in about 33 spans.
  CHECK(walk("1 = 0").size() <= 40);
  // Every row matches: spans longer than 8 times 2 keys are read first and end at their second
  // row, so that no span holds more than 16 of them, wherever they are.
  for (const auto& span : walk("note = 'x'")) CHECK(span.size() <= 16);

  SUBCASE("sized from the rows changed and the time taken, never below the rows asked for") {
    auto sized = handlers::KeySpans::open(sql, "\"items\"", "\"id\"", 100);
    REQUIRE(sized.has_value());
    CHECK(sized->span() == 100);
    // The spans lie among the smallest keys, where there are no rows: none is read short.
    const auto span_did = [&](long long changed, std::chrono::milliseconds took) {
      REQUIRE(sized->next(sql, "1 = 0", {}));
      sized->done(changed, took);
    };
    span_did(25, 1ms);  // a quarter of the rows asked for: 4 times as many keys
    CHECK(sized->span() == 400);
    span_did(1, 1ms);  // growth is bounded: 4 times at most
    CHECK(sized->span() == 1600);
    span_did(200, 1ms);  // twice the rows asked for: half the keys
    CHECK(sized->span() == 800);
    span_did(0, 100ms);  // twice the time budget: half the keys, whatever changed
    CHECK(sized->span() == 400);
    span_did(100, 10s);  // slow (a lock wait?): down to the rows asked for, not below
    CHECK(sized->span() == 100);
  }
}

TEST_CASE_TEMPLATE("handlers: claims: text keys and an empty table are not walked as integers",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE words (id TEXT PRIMARY KEY)");
  target.exec("CREATE TABLE numbers (id INTEGER PRIMARY KEY)");
  handlers::TargetSql sql(*target.sql);
  CHECK_FALSE(handlers::KeySpans::open(sql, "\"numbers\"", "\"id\"", 10).has_value());
  target.exec("INSERT INTO words VALUES ('1'), ('2')");
  CHECK_FALSE(handlers::KeySpans::open(sql, "\"words\"", "\"id\"", 10).has_value());
  target.exec("INSERT INTO numbers VALUES (7)");
  CHECK(handlers::KeySpans::open(sql, "\"numbers\"", "\"id\"", 10).has_value());
}

// SQLite in WAL mode, as most applications run it: batches commit without syncing and checkpoint
// between batches; the connection's settings come back after the run.
TEST_CASE_TEMPLATE("handlers: claims: on SQLite in WAL mode commits are relaxed for the run only",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  if (!target.postgres) target.exec("PRAGMA journal_mode = WAL");
  create_soup_dedupe(target);
  add_expired(target, 1, 40);
  auto config = soup_dedupe_config();
  config["batch_size"] = 10;
  auto run = target.context("claims.release_expired", config);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(result["released"] == 40);
  CHECK(held(target) == 0);

  if (target.postgres) return;
  auto session = store::open_target_session(target.backend.url());
  handlers::TargetSql sql(*session);
  const auto setting = [&](const std::string& name) { return sql.column("PRAGMA " + name).at(0); };
  const auto synchronous = setting("synchronous");
  const auto autocheckpoint = setting("wal_autocheckpoint");
  {
    handlers::RelaxedBatchCommits relaxed(sql);
    CHECK(setting("synchronous") == "1");  // NORMAL
    CHECK(setting("wal_autocheckpoint") == "0");
    sql.execute("UPDATE soup_dedupe SET claimed_by = 'x' WHERE id = 1");
    relaxed.between_batches();  // the first one checkpoints, to see how fast the WAL grows
  }
  CHECK(setting("synchronous") == synchronous);
  CHECK(setting("wal_autocheckpoint") == autocheckpoint);
}

TEST_CASE_TEMPLATE(
    "handlers: claims: a task completed or re-claimed between read and update is kept", Backend,
    MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: two concurrent runs release each claim once", Backend,
                   MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: an identifier injection in config is refused before any SQL",
                   Backend, MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: --check-databases names a missing column, table or bad where",
                   Backend, MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: cancelled between batches, the finished batches stay",
                   Backend, MAINTD_BACKENDS) {
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

TEST_CASE_TEMPLATE("handlers: claims: unclaim releases one claim and says whether it held", Backend,
                   MAINTD_BACKENDS) {
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

// schedules/examples/{claims,jobs,drafts,http}.yaml validate as written, and every table and
// column they name exists in the guides' schemas (the fixtures above): `maintd validate
// --check-databases` would pass against an application that has them. http.yaml's bearer token
// is read from $CREDENTIALS_DIRECTORY, as systemd's LoadCredential= would provide it.
TEST_CASE_TEMPLATE(
    "handlers: the claims, jobs, drafts and http examples validate, against the live schema",
    Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_soup_dedupe(target);
  create_crawl_jobs(target);
  create_creations(target);
  const auto repo = std::filesystem::path(MAINTD_SOURCE_DIR);
  TempDir dir;
  dir.write("credentials/drafts-cleanup-token", "example-token\n");
  const auto maintd_yaml =
      dir.write("maintd.yaml", fmt::format("state_database: sqlite3://{0}/state.db\n"
                                           "databases:\n  app: sqlite3://{0}/app.db\n"
                                           "schedules:\n  - {1}/schedules/examples/claims.yaml\n"
                                           "  - {1}/schedules/examples/jobs.yaml\n"
                                           "  - {1}/schedules/examples/drafts.yaml\n"
                                           "  - {1}/schedules/examples/http.yaml\n",
                                           dir.path().string(), repo.string()));
  const auto registry = handlers::builtin_registry();
  const auto process = config::process_environment();
  const config::Environment environment = [&](const std::string& name) {
    if (name == "CREDENTIALS_DIRECTORY") {
      return std::optional<std::string>((dir.path() / "credentials").string());
    }
    // The example's defaults, whatever the environment running the tests holds.
    if (name == "STAGING_PORTAL_URL" || name == "GENERATION_APP_URL") {
      return std::optional<std::string>();
    }
    return process(name);
  };
  const auto loaded = config::load_config({maintd_yaml, &registry, environment});
  for (const auto& diagnostic : loaded.diagnostics.errors()) FAIL_CHECK(diagnostic.to_string());
  REQUIRE(loaded.config.has_value());
  std::set<std::string> types;
  for (const auto& task : loaded.config->tasks) {
    CAPTURE(task.name);
    types.insert(task.type);
    const auto& info = handler(task.type);
    if (task.type == "http.request") {
      // Nothing in a database; the URLs are the examples' defaults.
      CHECK_FALSE(info.check_database);
      CHECK(task.config.get()["url"].get<std::string>().starts_with("https://"));
      continue;
    }
    REQUIRE(info.check_database);
    for (const auto& issue : info.check_database(task.config, target.sessions())) {
      FAIL_CHECK("config." << issue.key << ": " << issue.message);
    }
  }
  CHECK(types == std::set<std::string>{"claims.release_expired", "claims.unclaim",
                                       "jobs.fail_orphaned", "drafts.mark_stale", "http.request"});
  const auto drafts =
      std::find_if(loaded.config->tasks.begin(), loaded.config->tasks.end(),
                   [](const auto& task) { return task.name == "drafts-cleanup-stale"; });
  REQUIRE(drafts != loaded.config->tasks.end());
  CHECK(drafts->config.get()["bearer_token"] == "example-token");
}

TEST_CASE_TEMPLATE("handlers: claims: a table without the optional columns, left unset", Backend,
                   MAINTD_BACKENDS) {
  // Only a key and the claim's instant: no holder, no status, no completion flag. A `types:`
  // preset may name them; a task unsets them with null (YAML `~`) or "" (`--set key=`).
  Target<Backend> target;
  target.exec(fmt::format("CREATE TABLE claims (id INTEGER PRIMARY KEY, claimed_at {})",
                          target.postgres ? "timestamptz" : "TEXT"));
  target.exec(fmt::format("INSERT INTO claims VALUES (1, {}), (2, {}), (3, NULL)",
                          target.ago(20min), target.ago(5min)));
  const json config = {{"database", "app"},       {"table", "claims"},
                       {"claimed_by_column", ""}, {"status_column", nullptr},
                       {"completed_column", ""},  {"where", nullptr}};
  const auto& info = handler("claims.release_expired");
  CHECK(info.check_database(info.schema.with_defaults(config), target.sessions()).empty());

  auto run = target.context("claims.release_expired", config);
  const json result = handler("claims.release_expired").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"1"});
  CHECK(target.count("SELECT COUNT(*) FROM claims WHERE claimed_at IS NULL") == 2);

  json one = config;
  one["id"] = "2";
  auto unclaim = target.context("claims.unclaim", one);
  const json released = handler("claims.unclaim").run(unclaim->context);
  CHECK(released["released"] == true);
  CHECK_FALSE(released.contains("claimed_by"));
  CHECK(target.count("SELECT COUNT(*) FROM claims WHERE claimed_at IS NULL") == 3);

  // The claim's own columns cannot be unset: there would be nothing to release.
  const auto issues = info.schema.check(
      {{"database", "app"}, {"table", "claims"}, {"claimed_at_column", ""}}, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "claimed_at_column");
  CHECK(contains(issues[0].message, "'' is not an SQL identifier"));
}
