// drafts.mark_stale, on SQLite and PostgreSQL, against the stale-draft guide's creations with a
// token ledger.
#include <doctest/doctest.h>

#include <exception>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "drafts_fixture.hpp"
#include "handlers/drafts.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

template <class T>
std::string creation(T& target, const std::string& id) {
  return target.scalar(fmt::format(
      "SELECT status || '|' || COALESCE(error, '-') FROM creations WHERE id = '{}'", id));
}

template <class T>
long long ledger(T& target, const std::string& where = "1 = 1") {
  return target.count("SELECT COUNT(*) FROM token_ledger WHERE " + where);
}

// 18.2 hours, as in the guide's example message.
constexpr auto k18_2h = std::chrono::seconds(18 * 3600 + 12 * 60);

}  // namespace

TEST_CASE_TEMPLATE("handlers: drafts: stuck creations fail with the guide's message and a refund",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  add_creation(target, "c1", "pending", k18_2h, "u1", 5);
  add_creation(target, "c2", "processing", 2h, "u2", 12);
  add_creation(target, "c3", "pending", 10min);  // young: still generating
  add_creation(target, "c4", "draft", 5h);       // finished
  add_creation(target, "c5", "failed", 5h);      // failed already
  auto run = target.context("drafts.mark_stale", creations_config());
  const json result = handler("drafts.mark_stale").run(run->context);

  CHECK(result["marked_failed"] == 2);
  CHECK(result["stale"] == 2);
  CHECK(result["refunded"] == 2);
  CHECK(result["not_refunded"] == 0);
  CHECK(result["by_status"] == json{{"pending", 1}, {"processing", 1}});
  CHECK(std::set<json>(result["ids"].begin(), result["ids"].end()) == std::set<json>{"c1", "c2"});
  CHECK(result["max_age_hours"] == 1.0);
  CHECK(creation(target, "c1") ==
        "failed|Generation timeout: task stuck in pending status for 18.2 hours");
  CHECK(creation(target, "c2") ==
        "failed|Generation timeout: task stuck in processing status for 2.0 hours");
  CHECK(creation(target, "c3") == "pending|-");
  CHECK(creation(target, "c4") == "draft|-");
  CHECK(creation(target, "c5") == "failed|-");
  CHECK(target.count("SELECT COUNT(*) FROM creations WHERE updated_at IS NOT NULL") == 2);
  CHECK(ledger(target,
               "creation_id = 'c1' AND user_id = 'u1' AND amount = 5 AND "
               "reason = 'refund: generation timeout'") == 1);
  CHECK(ledger(target, "creation_id = 'c2' AND user_id = 'u2' AND amount = 12") == 1);
  CHECK(ledger(target) == 2);
}

TEST_CASE_TEMPLATE("handlers: drafts: a refund is given exactly once, however often the task runs",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  target.exec("INSERT INTO users VALUES ('u1', 100)");
  add_creation(target, "c1", "pending", 3h, "u1", 5);
  add_creation(target, "c2", "processing", 3h, "u1", 7);
  auto config = creations_config();
  config["refund_sql"] = "UPDATE users SET tokens = tokens + :amount WHERE id = :user_id";
  for (int i = 0; i < 2; ++i) {
    auto run = target.context("drafts.mark_stale", config);
    const json result = handler("drafts.mark_stale").run(run->context);
    CHECK(result["refunded"] == (i == 0 ? 2 : 0));
  }
  CHECK(target.count("SELECT tokens FROM users WHERE id = 'u1'") == 112);
}

TEST_CASE_TEMPLATE("handlers: drafts: dry run reports what it would fail and changes nothing",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  add_creation(target, "c1", "pending", k18_2h, "u1", 5);
  add_creation(target, "c2", "processing", 2h, "u2", 12);
  add_creation(target, "c3", "pending", 10min);
  auto run = target.context("drafts.mark_stale", creations_config(), /*dry_run=*/true);
  const json result = handler("drafts.mark_stale").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["stale"] == 2);
  CHECK(result["would_change"] == 2);  // what health.report counts
  CHECK(result["refund"] == true);
  REQUIRE(result["sample"].size() == 2);
  CHECK(result["sample"][0] == json{{"id", "c1"},
                                    {"status", "pending"},
                                    {"age_hours", 18.2},
                                    {"user_id", "u1"},
                                    {"amount", "5"}});
  CHECK(target.count("SELECT COUNT(*) FROM creations WHERE status = 'failed'") == 0);
  CHECK(ledger(target) == 0);
}

TEST_CASE_TEMPLATE("handlers: drafts: batches, progress, and a stop between batches when cancelled",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  for (int i = 1; i <= 23; ++i) add_creation(target, fmt::format("c{:02}", i), "pending", 2h);
  auto config = creations_config();
  config["batch_size"] = 5;

  SUBCASE("all of it") {
    auto run = target.context("drafts.mark_stale", config);
    const json result = handler("drafts.mark_stale").run(run->context);
    CHECK(result["marked_failed"] == 23);
    CHECK(result["refunded"] == 23);
    CHECK(result["batches"] == 5);
    REQUIRE(run->progress->size() == 5);
    CHECK(run->progress->back().done == 23);
    CHECK(run->progress->back().total == 23);
  }
  SUBCASE("cancelled after two batches") {
    auto run = target.context("drafts.mark_stale", config);
    run->context.on_progress = [&](const registry::Progress& p) {
      if (p.batches == 2) run->stop.request_stop();
    };
    const json result = handler("drafts.mark_stale").run(run->context);
    CHECK(result["stopped_early"] == true);
    CHECK(result["marked_failed"] == 10);
    CHECK(ledger(target) == 10);
    CHECK(target.count("SELECT COUNT(*) FROM creations WHERE status = 'pending'") == 13);
  }
}

TEST_CASE_TEMPLATE(
    "handlers: drafts: one that completes between read and update is neither failed "
    "nor refunded",
    Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  add_creation(target, "c1", "pending", 3h);
  add_creation(target, "c2", "processing", 3h);
  add_creation(target, "c3", "pending", 3h);
  auto worker = store::open_target_session(target.backend.url());
  auto run = target.context("drafts.mark_stale", creations_config());
  bool done = false;
  const json result = handlers::mark_stale_drafts(run->context, [&] {
    if (done) return;
    done = true;
    // The late worker finishes c2, and c3 moves on from pending to processing: both were read
    // as stale; neither may be failed (c3 is in another state than the one read).
    *worker << "UPDATE creations SET status = 'draft' WHERE id = 'c2'";
    *worker << "UPDATE creations SET status = 'processing' WHERE id = 'c3'";
  });
  CHECK(result["marked_failed"] == 1);
  CHECK(result["refunded"] == 1);
  CHECK(creation(target, "c2") == "draft|-");
  CHECK(creation(target, "c3") == "processing|-");
  CHECK(ledger(target) == 1);
  CHECK(ledger(target, "creation_id = 'c1'") == 1);
}

TEST_CASE_TEMPLATE("handlers: drafts: two concurrent runs fail and refund each creation once",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  for (int i = 1; i <= 40; ++i) add_creation(target, fmt::format("c{:02}", i), "pending", 2h);
  auto config = creations_config();
  config["batch_size"] = 3;
  auto first = target.context("drafts.mark_stale", config);
  auto second = target.context("drafts.mark_stale", config);
  const std::array<json, 2> results = race_two_runs(*first, *second, [](auto& context, auto hook) {
    return handlers::mark_stale_drafts(context, hook);
  });
  // Each run saw every row as a candidate: they raced for all of them.
  CHECK(results[0]["stale"] == 40);
  CHECK(results[1]["stale"] == 40);
  CHECK(results[0]["marked_failed"].get<long long>() +
            results[1]["marked_failed"].get<long long>() ==
        40);
  CHECK(results[0]["refunded"].get<long long>() + results[1]["refunded"].get<long long>() == 40);
  CHECK(ledger(target) == 40);
  CHECK(target.count("SELECT COUNT(*) FROM (SELECT creation_id FROM token_ledger GROUP BY "
                     "creation_id HAVING COUNT(*) > 1) twice") == 0);
  CHECK(target.count("SELECT COUNT(*) FROM creations WHERE status = 'failed'") == 40);
}

TEST_CASE_TEMPLATE("handlers: drafts: a refund that fails takes its status change back with it",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  add_creation(target, "c1", "pending", 3h);
  auto config = creations_config();
  config["refund_sql"] = "INSERT INTO token_ledgr (creation_id) VALUES (:id)";
  auto run = target.context("drafts.mark_stale", config);
  CHECK_THROWS(handler("drafts.mark_stale").run(run->context));
  CHECK(creation(target, "c1") == "pending|-");  // not failed without its refund
}

TEST_CASE_TEMPLATE("handlers: drafts: a creation with no amount is failed, and said not refunded",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  target.exec(
      "INSERT INTO creations (id, user_id, status, created_at) VALUES ('c1', 'u1', "
      "'pending', " +
      target.ago(3h) + ")");
  auto run = target.context("drafts.mark_stale", creations_config());
  const json result = handler("drafts.mark_stale").run(run->context);
  CHECK(result["marked_failed"] == 1);
  CHECK(result["refunded"] == 0);
  CHECK(result["not_refunded"] == 1);
  CHECK(run->logged("refund"));
  CHECK(ledger(target) == 0);
}

TEST_CASE_TEMPLATE("handlers: drafts: injections and unusable refund statements are refused",
                   Backend, MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  add_creation(target, "c1", "pending", 3h);
  const auto& mark = handler("drafts.mark_stale");
  auto config = creations_config();
  config["id_column"] = "id); DROP TABLE creations; --";
  const auto issues = mark.schema.check(config, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "id_column");
  CHECK(issues[0].message ==
        "'id); DROP TABLE creations; --' is not an SQL identifier (letters, digits and '_', not "
        "starting with a digit; optionally 'schema.' before it)");
  registry::HandlerContext context;
  context.config = mark.schema.with_defaults(config);
  context.sessions = target.sessions();
  CHECK(contains(thrown_message<std::invalid_argument>([&] { mark.run(context); }),
                 "is not an SQL identifier"));

  const auto check = [&](json c) {
    return mark.check_database(mark.schema.with_defaults(c), target.sessions());
  };
  auto unknown = creations_config();
  unknown["refund_sql"] = "INSERT INTO token_ledger VALUES (:id, :user, :amount, 'x')";
  auto found = check(unknown);
  REQUIRE(found.size() == 1);
  CHECK(found[0].key == "refund_sql");
  CHECK(found[0].message == "unknown placeholder :user (only :id, :user_id and :amount are bound)");

  auto no_column = creations_config();
  no_column.erase("amount_column");
  found = check(no_column);
  REQUIRE(found.size() == 1);
  CHECK(found[0].message == "it uses :amount but amount_column is not set: which column holds it?");
  auto run = target.context("drafts.mark_stale", no_column);
  CHECK(thrown_message<std::invalid_argument>([&] { mark.run(run->context); }) ==
        "config.refund_sql: it uses :amount but amount_column is not set: which column holds it?");
  CHECK(creation(target, "c1") == "pending|-");

  // PostgreSQL casts and quoted colons are not placeholders.
  auto casts = creations_config();
  casts["refund_sql"] =
      "INSERT INTO token_ledger VALUES (:id, :user_id, CAST(:amount AS INTEGER), 'at 12:30')";
  CHECK(check(casts).empty());
}

TEST_CASE_TEMPLATE("handlers: drafts: --check-databases names a missing column", Backend,
                   MAINTD_BACKENDS) {
  Target<Backend> target;
  create_creations(target);
  const auto& mark = handler("drafts.mark_stale");
  const auto check = [&](json c) {
    return mark.check_database(mark.schema.with_defaults(c), target.sessions());
  };
  CHECK(check(creations_config()).empty());
  auto config = creations_config();
  config["amount_column"] = "token_cost";
  config["created_at_column"] = "createdAt";
  const auto issues = check(config);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "created_at_column");
  CHECK(issues[0].message ==
        "column 'createdAt' does not exist in table 'creations' (did you mean 'created_at'?)");
  CHECK(issues[1].key == "amount_column");
  CHECK(issues[1].message ==
        "column 'token_cost' does not exist in table 'creations' (did you mean 'tokens_cost'?)");
}

TEST_CASE_TEMPLATE("handlers: drafts: a table without the optional columns, left unset", Backend,
                   MAINTD_BACKENDS) {
  // The guide's creations with nothing but a status and an age: no error column, no
  // updated_at, no user or cost, no refund.
  Target<Backend> target;
  target.exec(fmt::format(
      "CREATE TABLE creations (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at {} NOT NULL)",
      target.postgres ? "timestamptz" : "TEXT"));
  target.exec(
      fmt::format("INSERT INTO creations VALUES ('c1', 'pending', {}), ('c2', 'pending', {})",
                  target.ago(2h), target.ago(10min)));
  const json config = {{"database", "app"},     {"table", "creations"},
                       {"error_column", ""},    {"updated_at_column", nullptr},
                       {"user_id_column", ""},  {"amount_column", nullptr},
                       {"refund_sql", nullptr}, {"where", ""}};
  const auto& info = handler("drafts.mark_stale");
  CHECK(info.check_database(info.schema.with_defaults(config), target.sessions()).empty());

  auto dry = target.context("drafts.mark_stale", config, /*dry_run=*/true);
  CHECK(handler("drafts.mark_stale").run(dry->context)["stale"] == 1);
  auto run = target.context("drafts.mark_stale", config);
  const json result = handler("drafts.mark_stale").run(run->context);
  CHECK(ids_of(result["ids"]) == std::vector<std::string>{"c1"});
  CHECK_FALSE(result.contains("refunded"));
  CHECK(target.scalar("SELECT status FROM creations WHERE id = 'c1'") == "failed");
  CHECK(target.scalar("SELECT status FROM creations WHERE id = 'c2'") == "pending");
}
