// A failing statement's bound values never reach a handler's error or events, on SQLite and
// PostgreSQL: not through what SOCI appends to its messages (the statement and ":name=value" for
// every value bound), nor through the database's own reason when it quotes one.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "handler_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// What a token looks like: the kind of value that must never be printed.
const std::string kSecret = "tok_live_9Qz7XbW4mK2pR8";

// The run's error and every event it logged, for one look for the secret.
std::string everything_said(const std::string& error, const HandlerRun& run) {
  std::string all = error;
  for (const auto& e : *run.events) all += "\n" + e.event + ": " + e.message;
  return all;
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: errors: a failing runs.* statement does not carry its bound values",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec(fmt::format(
      "CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, started_at {0}, "
      "completed_at {0})",
      target.postgres ? "timestamptz" : "TEXT"));
  target.exec("INSERT INTO runs (id, status, started_at) VALUES (1, 'running', " + target.ago(30h) +
              ")");
  // The error column is named but does not exist: the UPDATE binding the secret fails.
  auto run = target.context("runs.cleanup_stale", {{"database", "app"},
                                                   {"table", "runs"},
                                                   {"age_column", "started_at"},
                                                   {"max_retries", 0},
                                                   {"error_column", "error_message"},
                                                   {"failed_status", kSecret}});
  const auto error =
      thrown_message<std::runtime_error>([&] { handler("runs.cleanup_stale").run(run->context); });
  CAPTURE(error);
  CHECK(contains(error, "error_message"));  // the database's reason is kept
  const auto said = everything_said(error, *run);
  CHECK_FALSE(contains(said, kSecret));
  CHECK_FALSE(contains(said, ":failed"));
  CHECK_FALSE(contains(said, "Stale run: stuck"));  // the bound :message
  CHECK(target.scalar("SELECT status FROM runs WHERE id = 1") == "running");
}

TEST_CASE_TEMPLATE("handlers: errors: the database's own reason does not quote a bound value",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  target.exec("CREATE TABLE tokens (id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE)");
  target.exec("INSERT INTO tokens VALUES (1, '" + kSecret + "')");
  // PostgreSQL says which key already exists (DETAIL: Key (token)=(...)).
  auto insert = target.context("sql.exec", {{"database", "app"},
                                            {"statement", "INSERT INTO tokens VALUES (2, :token)"},
                                            {"params", {{"token", kSecret}}}});
  const auto duplicate =
      thrown_message<std::runtime_error>([&] { handler("sql.exec").run(insert->context); });
  CAPTURE(duplicate);
  CHECK(contains(duplicate, "statement 1 of 1 (INSERT INTO tokens VALUES (2, :token)) failed: "));
  CHECK(contains(duplicate, target.postgres ? "duplicate key" : "UNIQUE constraint failed"));
  CHECK_FALSE(contains(everything_said(duplicate, *insert), kSecret));

  if (target.postgres) {
    // PostgreSQL quotes a value it cannot read as the column's type.
    target.exec(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, portal_id INTEGER, status TEXT, created_at "
        "timestamptz)");
    auto check = target.context(
        "runs.check_resume",
        {{"database", "app"}, {"table", "runs"}, {"key_column", "portal_id"}, {"portal", kSecret}});
    const auto error = thrown_message<std::runtime_error>(
        [&] { handler("runs.check_resume").run(check->context); });
    CAPTURE(error);
    CHECK(contains(error, "invalid input syntax for type integer"));
    CHECK_FALSE(contains(everything_said(error, *check), kSecret));
  }
}
