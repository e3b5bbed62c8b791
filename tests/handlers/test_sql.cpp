// sql.exec, on SQLite and PostgreSQL: statements in one transaction, bound parameters, dry runs.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "handler_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;

namespace {

template <class T>
void create_notes(T& target) {
  target.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER)");
  target.exec("INSERT INTO notes VALUES (1, 'a', 1), (2, 'b', 5), (3, 'c', 9), (4, 'd', 12)");
}

template <class T>
std::string notes(T& target) {
  std::string out;
  for (int id = 1; id <= 4; ++id) {
    out += target.scalar(fmt::format(
        "SELECT COALESCE((SELECT body || ':' || CAST(n AS TEXT) FROM notes WHERE id = {}), '-')",
        id));
    out += id < 4 ? " " : "";
  }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: sql: statements run in one transaction and report rows per statement",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  auto run = target.context("sql.exec",
                            {{"database", "app"},
                             {"statements",
                              {"UPDATE notes SET n = n + 100 WHERE n > :min",
                               "-- a comment: with a colon\nDELETE FROM notes WHERE body = :body",
                               "CREATE TABLE archive (id INTEGER)"}},
                             {"params", {{"min", 4}, {"body", "a"}}}});
  const json result = handler("sql.exec").run(run->context);

  CHECK(result["rows_affected"] == 4);
  REQUIRE(result["statements"].size() == 3);
  CHECK(result["statements"][0]["rows"] == 3);
  CHECK(result["statements"][1]["rows"] == 1);
  // DDL changes no rows (SQLite's changes() would still say 1 from the DELETE).
  CHECK(result["statements"][2]["rows"] == 0);
  CHECK(result["dry_run"] == false);
  CHECK(notes(target) == "- b:105 c:109 d:112");
  CHECK(target.count("SELECT COUNT(*) FROM archive") == 0);
  CHECK(run->logged("statement"));
  REQUIRE_FALSE(run->progress->empty());
  CHECK(run->progress->back().done == 3);
  CHECK(run->progress->back().total == 3);
}

TEST_CASE_TEMPLATE("handlers: sql: a failing statement rolls back the others and is named", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  auto run =
      target.context("sql.exec", {{"database", "app"},
                                  {"statements",
                                   {"UPDATE notes SET n = 0", "DELETE FROM notes WHERE id = 4",
                                    "INSERT INTO no_such_table VALUES (1)"}}});
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("sql.exec").run(run->context); });
  CHECK(contains(message, "statement 3 of 3 (INSERT INTO no_such_table VALUES (1)) failed"));
  CHECK(contains(message, "no_such_table"));
  CHECK(contains(message, "rolled back: nothing was applied"));
  CHECK(notes(target) == "a:1 b:5 c:9 d:12");
}

TEST_CASE_TEMPLATE("handlers: sql: without a transaction, earlier statements stay applied", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  auto run = target.context(
      "sql.exec",
      {{"database", "app"},
       {"transaction", false},
       {"statements", {"DELETE FROM notes WHERE id = 4", "INSERT INTO no_such_table VALUES (1)"}}});
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("sql.exec").run(run->context); });
  CHECK(contains(message, "statement 2 of 2"));
  CHECK(contains(message, "statement 1 was applied (transaction: false)"));
  CHECK(notes(target) == "a:1 b:5 c:9 -");
}

TEST_CASE_TEMPLATE("handlers: sql: parameters are bound, never spliced", Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  const std::string hostile = "x'); DROP TABLE notes; --";
  auto run = target.context(
      "sql.exec",
      {{"database", "app"},
       {"statements",
        {"INSERT INTO notes (id, body, n) VALUES (10, :body, :n)",
         // the same name twice, a cast (PostgreSQL's '::' is not a parameter), a real, a bool
         "UPDATE notes SET n = CAST(:n AS INTEGER) + 1 WHERE id = 1 AND n < CAST(:big AS REAL) AND "
         ":yes = 1",
         "INSERT INTO notes (id, body, n) VALUES (11, ':not_a_param', :n)"}},
       {"params", {{"body", hostile}, {"n", 7}, {"big", 1.5}, {"yes", true}}}});
  const json result = handler("sql.exec").run(run->context);
  CHECK(result["rows_affected"] == 3);
  CHECK(target.scalar("SELECT body FROM notes WHERE id = 10") == hostile);
  CHECK(target.scalar("SELECT body FROM notes WHERE id = 11") == ":not_a_param");
  CHECK(target.count("SELECT n FROM notes WHERE id = 1") == 8);
  CHECK(target.count("SELECT COUNT(*) FROM notes") == 6);
  if (target.postgres) {
    // A cast written the PostgreSQL way.
    auto cast = target.context("sql.exec", {{"database", "app"},
                                            {"statement", "UPDATE notes SET n = :n::integer"},
                                            {"params", {{"n", "3"}}}});
    CHECK(handler("sql.exec").run(cast->context)["rows_affected"] == 6);
  }
}

TEST_CASE_TEMPLATE("handlers: sql: a parameter missing from params is refused before anything runs",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  auto run = target.context(
      "sql.exec",
      {{"database", "app"},
       {"statements", {"DELETE FROM notes WHERE id = 1", "DELETE FROM notes WHERE body = :bdoy"}},
       {"params", {{"body", "b"}}}});
  const auto message =
      thrown_message<std::invalid_argument>([&] { handler("sql.exec").run(run->context); });
  CHECK(message ==
        "sql.exec: statement 2 (DELETE FROM notes WHERE body = :bdoy) uses :bdoy, which is not "
        "under 'params' (defined: body)");
  CHECK(notes(target) == "a:1 b:5 c:9 d:12");

  // A value no statement uses is pointed out, not fatal.
  auto unused = target.context("sql.exec", {{"database", "app"},
                                            {"statement", "DELETE FROM notes WHERE id = 4"},
                                            {"params", {{"id", 4}}}});
  CHECK(handler("sql.exec").run(unused->context)["rows_affected"] == 1);
  CHECK(run->events->empty());
  REQUIRE(unused->logged("params"));
  CHECK(unused->events->front().message == "params.id is not used by any statement");

  auto neither = target.context("sql.exec", {{"database", "app"}});
  CHECK(contains(
      thrown_message<std::invalid_argument>([&] { handler("sql.exec").run(neither->context); }),
      "nothing to run"));
  auto nested = target.context(
      "sql.exec", {{"database", "app"}, {"statement", "SELECT :v"}, {"params", {{"v", {1, 2}}}}});
  CHECK(contains(
      thrown_message<std::invalid_argument>([&] { handler("sql.exec").run(nested->context); }),
      "params.v: expected a string, number or boolean, got array"));
}

TEST_CASE_TEMPLATE("handlers: sql: a dry run executes and rolls back, or only reports", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_notes(target);
  const json config = {{"database", "app"},
                       {"statements",
                        {"UPDATE notes SET n = 0 WHERE n > :min", "DELETE FROM notes",
                         "CREATE TABLE scratch (id INTEGER)"}},
                       {"params", {{"min", 4}}}};
  auto run = target.context("sql.exec", config, true);
  const json result = handler("sql.exec").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["rolled_back"] == true);
  CHECK(result["statements"][0]["rows"] == 3);
  CHECK(result["statements"][1]["rows"] == 4);
  CHECK(result["rows_affected"] == 7);
  CHECK(notes(target) == "a:1 b:5 c:9 d:12");
  CHECK(target.count("SELECT COUNT(*) FROM notes") == 4);
  // The DDL was rolled back too.
  auto again = target.context("sql.exec", config, true);
  CHECK(handler("sql.exec").run(again->context)["rows_affected"] == 7);

  json report = config;
  report["dry_run_mode"] = "report";
  auto reported = target.context("sql.exec", report, true);
  const json listed = handler("sql.exec").run(reported->context);
  CHECK(listed["executed"] == false);
  CHECK(listed["statements"].size() == 3);
  CHECK(listed["statements"][1]["sql"] == "DELETE FROM notes");
  CHECK(target.count("SELECT COUNT(*) FROM notes") == 4);
}

TEST_CASE("handlers: sql: an undeclared database is refused by the schema") {
  const auto issues =
      handler("sql.exec")
          .schema.check({{"database", "reporting"}, {"statement", "SELECT 1"}}, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "database");
  CHECK(contains(issues[0].message, "unknown database 'reporting'"));
}
