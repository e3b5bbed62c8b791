// The overdue watch on its own (expect_success_within) with instants the test chooses: when a
// task becomes overdue (from first sight, from its last success), that it is logged and alerted
// once, that it recovers, and that a failed read of the last successes changes nothing.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>
#include <vector>

#include "scheduler/alerts.hpp"
#include "scheduler/overdue_watch.hpp"
#include "scheduler/unit_fixture.hpp"
#include "support/captured_log.hpp"

using maintd::scheduler::Alerts;
using maintd::scheduler::OverdueWatch;
using maintd::store::RunStatus;
using maintd::testing::at;
using maintd::testing::CapturedLog;
using maintd::testing::make_task;
using maintd::testing::UnitFixture;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> overdue_names(const OverdueWatch& watch) {
  std::vector<std::string> out;
  for (const auto& task : watch.overdue()) out.push_back(task.task);
  return out;
}

// A completed run of `task` that finished at `finished` (the store's clock).
void record_success(UnitFixture& f, const std::string& task, const std::string& finished) {
  f.clock.set(maintd::testing::TestClock::parse(finished));
  const auto id = f.run_in_progress(task, RunStatus::running);
  REQUIRE(f.run_store->finish(id, RunStatus::completed, nlohmann::json::object(), ""));
}

}  // namespace

TEST_CASE("overdue watch: a task is overdue past its window, alerted once, and recovers") {
  UnitFixture f;
  f.config->notify.command = {"true"};
  f.config->notify.min_interval = 0s;
  Alerts alerts([&f] { return f.now; });
  alerts.configure(f.config->notify);
  OverdueWatch watch(*f.run_store, alerts);
  f.tasks = {make_task({.name = "watched",
                        .schedule = "0 3 * * *",
                        .expect_success_within = std::chrono::hours(2)}),
             make_task({.name = "off",
                        .schedule = "0 3 * * *",
                        .enabled = false,
                        .expect_success_within = std::chrono::minutes(1)}),
             make_task({.name = "unwatched", .schedule = "0 3 * * *"})};
  const auto tasks = f.task_set();
  watch.saw(*tasks, at("2026-01-01T00:00:00Z"));
  watch.saw(*tasks, at("2026-01-01T01:00:00Z"));  // seen again: still counts from the first time

  CapturedLog log;
  struct Step {
    const char* at;
    std::vector<std::string> overdue;
  };
  for (const auto& step :
       {Step{"2026-01-01T02:00:00Z", {}},  // exactly the window: not yet
        Step{"2026-01-01T02:00:01Z", {"watched"}}, Step{"2026-01-01T02:30:00Z", {"watched"}}}) {
    CAPTURE(std::string(step.at));
    watch.check(*tasks, at(step.at));
    CHECK(overdue_names(watch) == step.overdue);
  }
  const auto overdue = watch.overdue().at(0);
  CHECK(overdue.expected == 2h);
  CHECK_FALSE(overdue.last_success.has_value());
  CHECK(overdue.since == at("2026-01-01T00:00:00Z"));
  // Logged and alerted when it became overdue, not at each check while it stays so.
  CHECK(log.all().find("error task watched: overdue: no completed run since maintd began "
                       "watching it 2h1s ago (expect_success_within 2h)") != std::string::npos);
  CHECK(alerts.counts().queued == 1);

  record_success(f, "watched", "2026-01-01T02:45:00.000Z");
  watch.check(*tasks, at("2026-01-01T03:00:00Z"));
  CHECK(watch.overdue().empty());
  CHECK(log.all().find("info task watched: no longer overdue") != std::string::npos);

  watch.check(*tasks, at("2026-01-01T04:45:01Z"));  // two hours after that success
  REQUIRE(overdue_names(watch) == std::vector<std::string>{"watched"});
  CHECK(watch.overdue()[0].since == at("2026-01-01T02:45:00Z"));
  CHECK(watch.overdue()[0].last_success ==
        maintd::store::parse_timestamp("2026-01-01T02:45:00.000Z"));
  CHECK(log.all().find("no completed run for 2h1s (expect_success_within 2h); last success "
                       "2026-01-01T02:45:00Z") != std::string::npos);
  CHECK(alerts.counts().queued == 2);
  REQUIRE(alerts.wait_idle(10s));
}

TEST_CASE("overdue watch: when the last successes cannot be read, the previous answer stays") {
  UnitFixture f;
  Alerts alerts([&f] { return f.now; });
  OverdueWatch watch(*f.run_store, alerts);
  f.tasks = {make_task({.name = "watched", .schedule = "0 3 * * *", .expect_success_within = 1h})};
  const auto tasks = f.task_set();
  watch.saw(*tasks, at("2026-01-01T00:00:00Z"));
  watch.check(*tasks, at("2026-01-01T02:00:00Z"));
  REQUIRE(overdue_names(watch) == std::vector<std::string>{"watched"});

  // The runs table is out of reach (a statement fails): unknown is not "recovered".
  soci::session sql(soci::sqlite3, "db=" + (f.dir.path() / "state.db").string());
  sql << "ALTER TABLE maintd_runs RENAME TO task_runs_away";
  CapturedLog log;
  watch.check(*tasks, at("2026-01-01T02:01:00Z"));
  CHECK(overdue_names(watch) == std::vector<std::string>{"watched"});
  CHECK(log.all().find("error checking expect_success_within: ") != std::string::npos);
  sql << "ALTER TABLE task_runs_away RENAME TO maintd_runs";
}
