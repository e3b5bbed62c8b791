// max_per_run, the rows a batching handler changes per run at most, beside batch_size (rows per
// transaction): a positive integer, or unset; anything else is refused where it is written.
#include <doctest/doctest.h>

#include <string>

#include "config/load_helper.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::load;
using maintd::testing::TempDir;
using nlohmann::json;

namespace {

maintd::testing::Loaded load_schedule(const std::string& schedule) {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\ndatabases: {app: \"sqlite3://app.db\"}\n");
  dir.write("s.yaml", schedule);
  return load(dir);
}

}  // namespace

TEST_CASE("config: max_per_run is taken by every batching handler, beside batch_size") {
  const auto loaded = load_schedule(R"(
tasks:
  - {name: claims, type: claims.release_expired, schedule: "@hourly",
     config: {database: app, table: soup_dedupe, batch_size: 100, max_per_run: 5000}}
  - {name: stale, type: runs.cleanup_stale, schedule: "@hourly", config: {max_per_run: 1}}
  - {name: expired, type: runs.cleanup_expired, schedule: "@daily",
     config: {retention_days: 30, batch_size: 1000, max_per_run: 10000, dry_run: false}}
  - {name: jobs, type: jobs.fail_orphaned, schedule: "@hourly",
     config: {database: app, table: crawl_jobs, max_per_run: 1000000000000}}
  - {name: drafts, type: drafts.mark_stale, schedule: "@hourly",
     config: {database: app, table: creations, max_per_run: ~}}
  - {name: unset, type: runs.cleanup_expired, schedule: "@daily"}
)");
  REQUIRE_MESSAGE(loaded.result.config.has_value(), loaded.printed);
  const auto& tasks = loaded.result.config->tasks;
  REQUIRE(tasks.size() == 6);
  CHECK(tasks[0].config->at("max_per_run") == 5000);
  CHECK(tasks[0].config->at("batch_size") == 100);
  CHECK(tasks[1].config->at("max_per_run") == 1);
  CHECK(tasks[2].config->at("max_per_run") == 10000);
  CHECK(tasks[3].config->at("max_per_run") == 1000000000000LL);
  // Unset, or not given (it has no default): no cap.
  CHECK(tasks[4].config->at("max_per_run").is_null());
  CHECK_FALSE(tasks[5].config->contains("max_per_run"));
}

TEST_CASE("config: max_per_run that is not a positive integer is refused where it is written") {
  const auto loaded = load_schedule(R"(
tasks:
  - name: zero
    type: claims.release_expired
    schedule: "@hourly"
    config: {database: app, table: soup_dedupe, max_per_run: 0}
  - name: negative
    type: runs.cleanup_stale
    schedule: "@hourly"
    config:
      max_per_run: -100
  - name: text
    type: runs.cleanup_expired
    schedule: "@daily"
    config: {max_per_run: "1000 rows"}
  - name: fraction
    type: jobs.fail_orphaned
    schedule: "@hourly"
    config: {database: app, table: crawl_jobs, max_per_run: 2.5}
  - name: huge
    type: drafts.mark_stale
    schedule: "@hourly"
    config: {database: app, table: creations, max_per_run: 10000000000000}
  - name: not-batching
    type: debug.noop
    schedule: "@hourly"
    config: {max_per_run: 10}
)");
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(
      loaded.printed ==
      "s.yaml:6:62: config.max_per_run: 0 is below the minimum 1\n"
      "s.yaml:11:20: config.max_per_run: -100 is below the minimum 1\n"
      "s.yaml:15:27: config.max_per_run: expected an integer, got a string ('1000 rows')\n"
      "s.yaml:19:61: config.max_per_run: expected an integer, got a number ('2.5')\n"
      "s.yaml:23:60: config.max_per_run: 10000000000000 is above the maximum 1000000000000\n"
      "s.yaml:27:14: config: unknown key 'max_per_run' (this handler takes: sleep, fail, message) "
      "(handler debug.noop)\n");
}
