// Headline counts (registry/headline.hpp): every built-in handler declares one, and each reads
// the results its documentation shows (docs/handlers/) as the dashboard shows them.
#include <doctest/doctest.h>

#include <string>

#include "handlers/builtin.hpp"
#include "registry/headline.hpp"

using maintd::registry::Headline;
using nlohmann::json;

namespace {

const Headline& headline_of(const maintd::registry::Registry& registry, const std::string& type) {
  const auto resolved = registry.resolve(type);
  REQUIRE_MESSAGE(resolved, type);
  REQUIRE_MESSAGE(resolved.value().handler->headline, type, " declares no headline");
  return *resolved.value().handler->headline;
}

struct Reading {
  std::optional<double> count;
  std::string words;
};

Reading read(const maintd::registry::Registry& registry, const std::string& type,
             const std::string& result, bool dry_run = false) {
  const Headline& headline = headline_of(registry, type);
  const json parsed = json::parse(result);
  return {maintd::registry::headline_count(headline, parsed, dry_run),
          maintd::registry::result_in_words(headline, parsed, dry_run)};
}

}  // namespace

TEST_CASE("headlines: every built-in handler declares its headline count and label") {
  const auto registry = maintd::handlers::builtin_registry();
  for (const auto& entry : registry.types()) {
    CAPTURE(entry.type);
    REQUIRE(entry.handler->headline.has_value());
    CHECK_FALSE(entry.handler->headline->key.empty());
    CHECK_FALSE(entry.handler->headline->label.empty());
    CHECK_FALSE(entry.handler->headline->words.empty());
  }
}

TEST_CASE("headlines: the documented results read as counts and words") {
  const auto registry = maintd::handlers::builtin_registry();
  auto claims = read(registry, "claims.release_expired",
                     R"({"released": 123, "timeout_minutes": 15, "ids": ["1"], "batches": 1,
                         "max_per_run": null, "capped": false, "remaining": 0})");
  CHECK(claims.count == 123);
  CHECK(claims.words == "released 123 claims");
  claims = read(registry, "claims.release_expired",
                R"({"released": 1, "remaining": 2345, "capped": true})");
  CHECK(claims.words == "released 1 claim, 2,345 left for the next run");
  claims = read(registry, "claims.release_expired", R"({"released": 0, "remaining": 0})");
  CHECK(claims.count == 0);
  CHECK(claims.words == "no expired claims");
  claims = read(registry, "claims.release_expired",
                R"({"dry_run": true, "expired": 45, "would_change": 45})", true);
  CHECK(claims.count == 45);
  CHECK(claims.words == "would release 45 claims");

  const auto unclaim = read(registry, "claims.unclaim",
                            R"({"id": "GA_1", "found": true, "held": true, "released": true,
                                "message": "Task unclaimed successfully"})");
  CHECK(unclaim.count == 1);
  CHECK(unclaim.words == "Task unclaimed successfully");

  const auto drafts = read(registry, "drafts.mark_stale",
                           R"({"marked_failed": 2, "refunded": 2, "not_refunded": 0, "stale": 2,
                               "by_status": {"pending": 1}, "ids": ["c1", "c2"]})");
  CHECK(drafts.count == 2);
  CHECK(drafts.words == "2 drafts failed, 2 refunded");
  CHECK(read(registry, "drafts.mark_stale", R"({"marked_failed": 0, "stale": 0})").words ==
        "no stale drafts");

  const auto jobs =
      read(registry, "jobs.fail_orphaned", R"({"failed": 2, "orphaned": 2, "ids": ["1", "6"]})");
  CHECK(jobs.count == 2);
  CHECK(jobs.words == "failed 2 orphaned jobs");

  const auto stale = read(registry, "runs.cleanup_stale",
                          R"({"dry_run": false, "stale": 8, "resumable": 3, "retried": 4,
                              "failed": 1, "changed_meanwhile": 0, "remaining": 0})");
  CHECK(stale.count == 1);
  CHECK(stale.words == "failed 1 stale run, retried 4, 3 resumable left alone");
  const auto stale_dry = read(registry, "runs.cleanup_stale",
                              R"({"dry_run": true, "stale": 8, "resumable": 3, "retried": 4,
                                  "failed": 1, "would_change": 5})",
                              true);
  CHECK(stale_dry.count == 5);
  CHECK(stale_dry.words == "would retry or fail 5 runs, 3 resumable left alone");

  const auto expired = read(registry, "runs.cleanup_expired",
                            R"({"expired": 4, "deleted": 4, "children_deleted": {"e": 8}})");
  CHECK(expired.count == 4);
  CHECK(expired.words == "deleted 4 expired runs");

  const auto resume = read(registry, "runs.check_resume",
                           R"({"action": "cleanup", "run_id": "1", "cleaned": ["1", "2"],
                               "changed_meanwhile": [], "cleaned_up": true})");
  CHECK(resume.count == 2);
  CHECK(resume.words == "answered cleanup, cleaned up 2 runs");
  const auto start = read(registry, "runs.check_resume", R"({"action": "start", "run_id": null})");
  CHECK_FALSE(start.count.has_value());
  CHECK(start.words == "answered start");

  const auto sql =
      read(registry, "sql.exec", R"({"database": "app", "rows_affected": 1205, "statements": []})");
  CHECK(sql.count == 1205);
  CHECK(sql.words == "1,205 rows affected");
  CHECK(read(registry, "sql.exec", R"({"rows_affected": 0})").words == "0 rows affected");
  CHECK(read(registry, "sql.exec", R"({"rows_affected": 3, "rolled_back": true})", true).words ==
        "would affect 3 rows");

  const auto command = read(registry, "command.exec",
                            R"({"command": ["echo"], "exit_status": 0, "stdout_lines": 12,
                                "stderr_lines": 0})");
  CHECK(command.count == 0);
  CHECK(command.words == "exit status 0, 12 lines of output");
  CHECK(
      read(registry, "command.exec", R"({"dry_run": true, "program": "/bin/echo"})", true).words ==
      "would run /bin/echo");

  const auto health = read(registry, "health.report", R"({"status": "warn", "problems": 1})");
  CHECK(health.count == 1);
  CHECK(health.words == "warn, 1 problem");
  CHECK(read(registry, "health.report", R"({"status": "ok", "problems": 0})").words == "ok");

  const auto http = read(registry, "http.request",
                         R"({"status": 503, "attempts": 3, "truncated": true, "body": "busy"})");
  CHECK(http.count == 503);
  CHECK(http.words == "HTTP 503, answer truncated");
  CHECK(read(registry, "http.request", R"({"dry_run": true, "sent": false})", true).words ==
        "would send the request");

  const auto noop = read(registry, "debug.noop", R"({"noop": true, "slept_seconds": 0})");
  CHECK(noop.count == 0);
  CHECK(noop.words == "did nothing");
}

TEST_CASE("headlines: counts of numbers, booleans and arrays, of nothing else") {
  const Headline headline{.key = "n", .label = "n", .words = {{"n", "{} thing", "{} things"}}};
  CHECK(maintd::registry::headline_count(headline, json{{"n", 2.5}}, false) == 2.5);
  CHECK(maintd::registry::headline_count(headline, json{{"n", true}}, false) == 1);
  CHECK(maintd::registry::headline_count(headline, json{{"n", false}}, false) == 0);
  CHECK(maintd::registry::headline_count(headline, json{{"n", json::array({1, 2, 3})}}, false) ==
        3);
  CHECK_FALSE(maintd::registry::headline_count(headline, json{{"n", "7"}}, false));
  CHECK_FALSE(maintd::registry::headline_count(headline, json{{"m", 1}}, false));
  CHECK_FALSE(maintd::registry::headline_count(headline, json(), false));  // a failed run's
  CHECK_FALSE(maintd::registry::headline_count(headline, json::array(), false));
  // A dry run without the dry-run key counts by the key.
  CHECK(maintd::registry::headline_count(headline, json{{"n", 4}}, true) == 4);
  CHECK(maintd::registry::headline_count(headline, json{{"n", 4}, {"would_change", 9}}, true) == 9);

  CHECK(maintd::registry::result_in_words(headline, json{{"n", 1}}, false) == "1 thing");
  CHECK(maintd::registry::result_in_words(headline, json{{"n", 1000000}}, false) ==
        "1,000,000 things");
  CHECK(maintd::registry::result_in_words(headline, json{{"n", 0}}, false) == "");
  CHECK(maintd::registry::result_in_words(headline, json(), false) == "");
  // A dry run without dry-run words: the generic one.
  CHECK(maintd::registry::result_in_words(headline, json{{"would_change", 3}}, true) ==
        "would change 3 rows");
  // Words from a result are text, not markup: escaping is the page's job, and they pass as is.
  const Headline message{.key = "n", .label = "n", .words = {{"message", "{}"}}};
  CHECK(maintd::registry::result_in_words(message, json{{"message", "<b>x</b>"}}, false) ==
        "<b>x</b>");
  const Headline flag{.key = "done", .label = "done", .words = {{"done", "released {} the claim"}}};
  CHECK(maintd::registry::result_in_words(flag, json{{"done", true}}, false) ==
        "released the claim");

  CHECK(maintd::registry::count_text(0) == "0");
  CHECK(maintd::registry::count_text(999) == "999");
  CHECK(maintd::registry::count_text(1234) == "1,234");
  CHECK(maintd::registry::count_text(-1234567) == "-1,234,567");
  CHECK(maintd::registry::count_text(2.5) == "2.5");
}
