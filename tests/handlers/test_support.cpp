// handlers/support: identifiers, timestamps on both backends, the live catalogue, batches.
#include <doctest/doctest.h>
#include <soci/error.h>

#include <stdexcept>

#include "handler_fixture.hpp"
#include "handlers/support/batches.hpp"
#include "handlers/support/live_schema.hpp"
#include "handlers/support/target_sql.hpp"

using namespace maintd;
using namespace maintd::testing;
using handlers::SqlParams;
using handlers::TargetSql;

TEST_CASE("handlers: support: identifiers are quoted part by part, anything else is refused") {
  CHECK(handlers::quote_identifier("soup_dedupe") == "\"soup_dedupe\"");
  CHECK(handlers::quote_identifier("app.Claims") == "\"app\".\"Claims\"");
  for (const char* bad :
       {"x; DROP TABLE y", "a\"b", "1abc", "", "a.b.c", "name--", "t where 1=1"}) {
    CAPTURE(bad);
    const auto message =
        thrown_message<std::invalid_argument>([&] { handlers::quote_identifier(bad); });
    CHECK(contains(message, "is not an SQL identifier"));
    CHECK(contains(message, bad));
  }
}

TEST_CASE("handlers: support: a database error's text keeps the reason, not the data") {
  // As SOCI's PostgreSQL backend reports a failed INSERT: the server's message, its DETAIL and
  // pointer lines, then SOCI's context with every bound value.
  soci::soci_error error(
      "ERROR:  invalid input syntax for type integer: \"tok_live_9Qz7\"\n"
      "DETAIL:  Key (token)=(tok_live_9Qz7) already exists.\n"
      "LINE 1: INSERT INTO tokens VALUES ($1, $2)\n"
      "                                       ^\n");
  error.add_context(
      "while executing \"INSERT INTO tokens VALUES (:id, :token)\" with "
      ":id=\"1\", :token=\"tok_live_9Qz7\"");
  CHECK(handlers::database_error_text(error, {"1", "tok_live_9Qz7"}) ==
        "ERROR: invalid input syntax for type integer: \"<bound value>\"");
  // Short values are left: "1" would take every 1 out of the reason.
  CHECK(handlers::database_error_text(soci::soci_error("no such table: t1"), {"1"}) ==
        "no such table: t1");
  // SQLite's backend names its own function first.
  CHECK(handlers::database_error_text(soci::soci_error(
            "sqlite3_statement_backend::prepare: no such column: error_message")) ==
        "no such column: error_message");
  // Any other exception: its message, on one line.
  CHECK(handlers::database_error_text(std::runtime_error("cannot connect\n  to app")) ==
        "cannot connect to app");
}

TEST_CASE_TEMPLATE("handlers: support: timestamps compare as instants, whatever their spelling",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, at " +
              std::string(target.postgres ? "timestamptz" : "TEXT") + ")");
  // One hour old, in the spellings applications write; and one a minute in the future.
  if (target.postgres) {
    target.exec(
        "INSERT INTO t VALUES (1, '2026-11-25 11:00:00+00'), (2, '2026-11-25T12:00:00+01'),"
        " (3, '2026-11-25 12:01:00+00')");
  } else {
    target.exec(
        "INSERT INTO t VALUES (1, '2026-11-25 11:00:00'), (2, '2026-11-25T11:00:00.000Z'),"
        " (3, '2026-11-25 12:01:00')");
  }
  TargetSql sql(*target.sql);
  SqlParams params;
  params.text("cutoff", sql.timestamp_value(target.now - std::chrono::minutes(30)));
  const auto old = sql.column("SELECT " + sql.as_text("\"id\"") + " FROM t WHERE " +
                                  sql.before("\"at\"", "cutoff") + " ORDER BY id",
                              params);
  CHECK(old == std::vector<std::string>{"1", "2"});

  SqlParams now;
  now.text("now", sql.timestamp_value(target.now));
  const auto ages =
      sql.column("SELECT " + sql.seconds_between("\"at\"", "now") + " FROM t ORDER BY id", now);
  REQUIRE(ages.size() == 3);
  CHECK(std::stod(ages[0]) == doctest::Approx(3600.0).epsilon(0.001));
  CHECK(std::stod(ages[2]) == doctest::Approx(-60.0).epsilon(0.01));

  // A value maintd writes sorts among the application's own.
  sql.execute("UPDATE t SET at = " + sql.timestamp_param("now") + " WHERE id = 3", now);
  CHECK(sql.count("SELECT COUNT(*) FROM t WHERE " + sql.before("\"at\"", "cutoff"), params) == 2);
}

TEST_CASE_TEMPLATE("handlers: support: the live catalogue names missing tables and columns",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec(
      "CREATE TABLE soup_dedupe (id INTEGER PRIMARY KEY, claimed_at TEXT, claimed_by TEXT)");
  CHECK(handlers::table_columns(*target.sql, "soup_dedupe") ==
        std::vector<std::string>{"id", "claimed_at", "claimed_by"});
  CHECK_FALSE(handlers::table_columns(*target.sql, "nothing_here").has_value());

  CHECK(handlers::check_table(*target.sql, "table", "soup_dedupe",
                              {{"claimed_at", "claimed_at"}, {"id_column", "id"}})
            .empty());
  const auto issues = handlers::check_table(*target.sql, "table", "soup_dedupe",
                                            {{"claimed_at", "claimd_at"}, {"claimed_by", ""}});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "claimed_at");
  CHECK(issues[0].message ==
        "column 'claimd_at' does not exist in table 'soup_dedupe' (did you mean 'claimed_at'?)");

  const auto missing = handlers::check_table(*target.sql, "table", "soup_dedup", {});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].key == "table");
  CHECK(missing[0].message == "table 'soup_dedup' does not exist in the database");
}

TEST_CASE_TEMPLATE(
    "handlers: support: batches commit one by one and stop between them when cancelled", Backend,
    MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL)");
  for (int i = 1; i <= 25; ++i) target.exec(fmt::format("INSERT INTO items VALUES ({}, 0)", i));
  auto run = target.context("debug.noop", nlohmann::json::object());
  TargetSql sql(*target.sql);
  const std::string batch_sql =
      "UPDATE items SET done = 1 WHERE id IN (SELECT id FROM items WHERE done = 0 ORDER BY id "
      "LIMIT 10)";
  handlers::RunCap no_cap(nlohmann::json::object());

  SUBCASE("all of it, in three batches, the last one short") {
    const auto totals = handlers::run_in_batches(run->context, sql, 10, 25, no_cap,
                                                 [&](TargetSql& s, long long limit) {
                                                   CHECK(limit == 10);
                                                   return s.execute(batch_sql);
                                                 });
    CHECK(totals.rows == 25);
    CHECK(totals.batches == 3);
    CHECK_FALSE(totals.stopped_early);
    CHECK(target.count("SELECT COUNT(*) FROM items WHERE done = 1") == 25);
    REQUIRE(run->progress->size() == 3);
    CHECK(run->progress->back().done == 25);
  }
  SUBCASE("cancelled after the first batch: that batch stays, nothing more is done") {
    const auto totals =
        handlers::run_in_batches(run->context, sql, 10, 25, no_cap, [&](TargetSql& s, long long) {
          const auto changed = s.execute(batch_sql);
          run->stop.request_stop();
          return changed;
        });
    CHECK(totals.batches == 1);
    CHECK(totals.stopped_early);
    CHECK(run->logged("stopped"));
    CHECK(target.count("SELECT COUNT(*) FROM items WHERE done = 1") == 10);
  }
  SUBCASE("a batch that throws is rolled back; the ones before it stay") {
    int calls = 0;
    CHECK_THROWS_AS(handlers::run_in_batches(run->context, sql, 10, 25, no_cap,
                                             [&](TargetSql& s, long long) {
                                               const auto changed = s.execute(batch_sql);
                                               if (++calls == 2) throw std::runtime_error("boom");
                                               return changed;
                                             }),
                    std::runtime_error);
    CHECK(target.count("SELECT COUNT(*) FROM items WHERE done = 1") == 10);
  }
}

TEST_CASE_TEMPLATE("handlers: support: max_per_run shortens the last batch and ends the run",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL)");
  for (int i = 1; i <= 25; ++i) target.exec(fmt::format("INSERT INTO items VALUES ({}, 0)", i));
  auto run = target.context("debug.noop", nlohmann::json::object());
  TargetSql sql(*target.sql);
  // Each batch changes what it is allowed to, and counts it.
  const auto batches = [&](handlers::RunCap& cap, std::vector<long long>& limits) {
    return handlers::run_in_batches(run->context, sql, 10, 25, cap,
                                    [&](TargetSql& s, long long limit) {
                                      limits.push_back(limit);
                                      SqlParams params;
                                      params.integer("limit", limit);
                                      const long long changed = s.execute(
                                          "UPDATE items SET done = 1 WHERE id IN (SELECT id FROM "
                                          "items WHERE done = 0 ORDER BY id LIMIT :limit)",
                                          params);
                                      cap.add(changed);
                                      return changed;
                                    });
  };
  const auto remaining = [&](const handlers::RunCap& cap) {
    return cap.remaining([&] { return target.count("SELECT COUNT(*) FROM items WHERE done = 0"); });
  };

  SUBCASE("a cap between batch sizes: the last batch asks for what is left") {
    handlers::RunCap cap(nlohmann::json{{"max_per_run", 15}});
    std::vector<long long> limits;
    const auto totals = batches(cap, limits);
    CHECK(limits == std::vector<long long>{10, 5});
    CHECK(totals.rows == 15);
    CHECK(cap.reached());
    CHECK(target.count("SELECT COUNT(*) FROM items WHERE done = 1") == 15);
    CHECK(remaining(cap) == 10);
    CHECK(cap.result(run->context, remaining(cap)) ==
          nlohmann::json{{"max_per_run", 15}, {"capped", true}, {"remaining", 10}});
    CHECK(run->logged("capped"));
  }
  SUBCASE("a cap of whole batches: no empty batch after the last one") {
    handlers::RunCap cap(nlohmann::json{{"max_per_run", 20}});
    std::vector<long long> limits;
    batches(cap, limits);
    CHECK(limits == std::vector<long long>{10, 10});
    CHECK(remaining(cap) == 5);
  }
  SUBCASE("a cap above what is due: every row, and nothing said about the cap") {
    handlers::RunCap cap(nlohmann::json{{"max_per_run", 100}});
    std::vector<long long> limits;
    batches(cap, limits);
    CHECK(limits == std::vector<long long>{10, 10, 10});
    CHECK_FALSE(cap.reached());
    CHECK(remaining(cap) == 0);
    CHECK(cap.result(run->context, 0) ==
          nlohmann::json{{"max_per_run", 100}, {"capped", false}, {"remaining", 0}});
    CHECK_FALSE(run->logged("capped"));
  }
  SUBCASE("no cap, or an unset one: null in the result") {
    for (const auto& config : {nlohmann::json::object(), nlohmann::json{{"max_per_run", nullptr}},
                               nlohmann::json{{"max_per_run", ""}}}) {
      handlers::RunCap cap(config);
      CHECK_FALSE(cap.left().has_value());
      CHECK(cap.batch(10) == 10);
      CHECK(cap.of(1000000) == 1000000);
      CHECK(cap.result(run->context, 0) ==
            nlohmann::json{{"max_per_run", nullptr}, {"capped", false}, {"remaining", 0}});
    }
  }
}

TEST_CASE("handlers: support: max_per_run is refused unless a positive integer") {
  // Each batching handler declares the same key (config_keys.hpp).
  for (const char* type : {"claims.release_expired", "runs.cleanup_stale", "runs.cleanup_expired",
                           "jobs.fail_orphaned", "drafts.mark_stale"}) {
    CAPTURE(type);
    const auto& schema = handler(type).schema;
    REQUIRE(schema.find("max_per_run") != nullptr);
    REQUIRE(schema.find("batch_size") != nullptr);
    const auto issue = [&](const nlohmann::json& value) {
      const auto issues = schema.check({{"max_per_run", value}}, {"app"}, false);
      REQUIRE(issues.size() == 1);
      CHECK(issues[0].key == "max_per_run");
      return issues[0].message;
    };
    CHECK(issue(0) == "0 is below the minimum 1");
    CHECK(issue(-5) == "-5 is below the minimum 1");
    CHECK(issue("100") == "expected an integer, got a string ('100')");
    CHECK(issue(2.5) == "expected an integer, got a number ('2.5')");
    CHECK(schema.check({{"max_per_run", 1}}, {"app"}, false).empty());
    CHECK_FALSE(schema.with_defaults(nlohmann::json::object()).contains("max_per_run"));
  }
}
