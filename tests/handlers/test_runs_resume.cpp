// runs.check_resume, the scraper guide's pre-scrape check, on SQLite and PostgreSQL.
#include <doctest/doctest.h>

#include "runs_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;

namespace {

const std::string kType = "runs.check_resume";

// The guide's thresholds: a running scrape is stale after 24 hours.
template <class Backend>
json scraper_config(const ScraperRuns<Backend>& runs, const std::string& portal,
                    const json& extra = json::object()) {
  auto config = runs.config({{"portal", portal},
                             {"stale_running_hours", 24},
                             {"failed_status", "Timeout - Auto-cleaned"}});
  config.update(extra);
  return config;
}

template <class Backend>
json check(ScraperRuns<Backend>& runs, const std::string& portal,
           const json& extra = json::object(), bool dry_run = false) {
  auto run = runs.target.context(kType, scraper_config(runs, portal, extra), dry_run);
  return handler(kType).run(run->context);
}

}  // namespace

TEST_CASE_TEMPLATE("handlers: runs.check_resume: start, wait, resume or cleanup, with the run id",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  // portal_a: only finished runs. portal_b: a recent run. portal_c: stale with progress.
  // portal_d: stale with a checkpoint. portal_e: stale and dead (empty checkpoint).
  runs.add({.id = 1, .status = "completed", .age = 50h, .portal = "portal_a"});
  runs.add({.id = 2, .status = "Timeout - Auto-cleaned", .age = 80h, .portal = "portal_a"});
  runs.add({.id = 3, .status = "running", .age = 3h, .portal = "portal_b"});
  runs.add({.id = 4, .status = "running", .age = 30h, .extracted = 120, .portal = "portal_c"});
  runs.add({.id = 5, .status = "running", .age = 30h, .portal = "portal_d"});
  runs.checkpoint(5, R"({"tenders": ["T-1"]})");
  runs.add({.id = 6, .status = "running", .age = 30h, .portal = "portal_e"});
  runs.checkpoint(6, "");
  const auto before = runs.snapshot();

  json result = check(runs, "portal_a");
  CHECK(result["action"] == "start");
  CHECK(result["run_id"].is_null());
  CHECK(result["reason"] == "no active run for portal 'portal_a'");

  result = check(runs, "portal_b");
  CHECK(result["action"] == "wait");
  CHECK(result["run_id"] == "3");
  CHECK(result["reason"] ==
        "run 3 is 'running' for 3.0 hours, within its 24 hours threshold: it may still be "
        "working");

  result = check(runs, "portal_c");
  CHECK(result["action"] == "resume");
  CHECK(result["run_id"] == "4");
  CHECK(result["reason"] ==
        "run 4 is stale ('running' for 30.0 hours) but resumable: it made "
        "progress");

  result = check(runs, "portal_d");
  CHECK(result["action"] == "resume");
  CHECK(result["run_id"] == "5");
  CHECK(contains(result["reason"].template get<std::string>(), "5.json holds data"));

  result = check(runs, "portal_e");
  CHECK(result["action"] == "cleanup");
  CHECK(result["run_id"] == "6");
  CHECK(result["age_hours"] == 30.0);
  CHECK(result["reason"] ==
        "Stale run: stuck in 'running' for 30.0 hours (threshold 24 hours) with no progress and "
        "no checkpoint: clean it up, then start afresh");

  // Asking changes nothing.
  CHECK(runs.snapshot() == before);
}

TEST_CASE_TEMPLATE(
    "handlers: runs.check_resume: a run that may be working wins over a resumable "
    "one",
    Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 40h, .extracted = 10});
  runs.add({.id = 2, .status = "pending", .age = 10min});
  const json result = check(runs, "portal_a");
  CHECK(result["action"] == "wait");
  CHECK(result["run_id"] == "2");
  CHECK(result["active_runs"].size() == 2);
}

TEST_CASE_TEMPLATE("handlers: runs.check_resume: apply_cleanup marks the dead run, guarded",
                   Backend, MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  runs.add({.id = 1, .status = "running", .age = 30h});
  runs.add({.id = 2, .status = "running", .age = 36h});

  // A dry run answers, and changes nothing.
  const auto before = runs.snapshot();
  json result = check(runs, "portal_a", {{"apply_cleanup", true}}, /*dry_run=*/true);
  CHECK(result["action"] == "cleanup");
  CHECK(result["run_id"] == "1");
  CHECK(result["cleaned_up"] == false);
  CHECK(runs.snapshot() == before);

  result = check(runs, "portal_a", {{"apply_cleanup", true}});
  CHECK(result["action"] == "cleanup");
  CHECK(ids_of(result["cleaned"]) == std::vector<std::string>{"1", "2"});
  CHECK(result["cleaned_up"] == true);
  CHECK(runs.status(1) == "Timeout - Auto-cleaned");
  CHECK(runs.status(2) == "Timeout - Auto-cleaned");
  CHECK(runs.completed(1));
  CHECK(runs.error(2) ==
        "Stale run: stuck in 'running' for 36.0 hours (threshold 24 hours) with no progress and "
        "no checkpoint");

  // Now there is nothing active: start.
  CHECK(check(runs, "portal_a")["action"] == "start");
}

TEST_CASE_TEMPLATE("handlers: runs.check_resume: its config is checked like the others", Backend,
                   MAINTD_BACKENDS) {
  ScraperRuns<Backend> runs;
  const auto& info = handler(kType);
  auto config = scraper_config(runs, "portal_a");

  config.erase("portal");
  auto issues = info.schema.check(config, {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "portal");
  CHECK(contains(issues[0].message, "missing required key 'portal'"));

  issues = info.schema.check(scraper_config(runs, "x", {{"key_column", "portal_name--"}}), {"app"});
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "key_column");
  CHECK(issues[0].message ==
        "'portal_name--' is not an SQL identifier (letters, digits and '_', not starting with a "
        "digit; optionally 'schema.' before it)");

  const auto sessions = runs.target.sessions();
  CHECK(
      info.check_database(info.schema.with_defaults(scraper_config(runs, "x")), sessions).empty());
  issues = info.check_database(
      info.schema.with_defaults(scraper_config(runs, "x", {{"key_column", "portal_nme"}})),
      sessions);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].key == "key_column");
  CHECK(issues[0].message ==
        "column 'portal_nme' does not exist in table 'runs' (did you mean 'portal_name'?)");
}
