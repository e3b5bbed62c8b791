// Claiming slots and creating runs: exactly one winner per (task, slot), manual runs never
// conflict, skipped slots are recorded, and what a run reads back as.
#include <fmt/format.h>

#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using store::RunStatus;

namespace {

store::NewRun scheduled(const std::string& task, const std::string& slot) {
  store::NewRun run;
  run.task_name = task;
  run.task_type = "runs.cleanup_stale";
  run.trigger = store::Trigger::schedule;
  run.scheduled_for = instant(slot);
  return run;
}

}  // namespace

TEST_CASE_TEMPLATE("store: slot claim: 8 threads racing for one slot, exactly one gets the id",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  auto db = open_migrated(backend, {.pool_size = kThreads});
  store::RunStore runs(db, TestClock().clock());
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const store::NewRun run =
        scheduled("claims.release_expired", fmt::format("2026-03-29T01:{:02}:00Z", round));
    std::vector<std::optional<store::RunId>> results(kThreads);
    std::vector<std::string> errors(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        try {
          results[t] = runs.claim_slot(run);
        } catch (const std::exception& e) {
          errors[t] = e.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    int winners = 0;
    for (int t = 0; t < kThreads; ++t) {
      CHECK_MESSAGE(errors[t].empty(), errors[t]);
      if (results[t]) ++winners;
    }
    CHECK(winners == 1);
  }
  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == kRounds);
  CHECK(count(*sql, "SELECT COUNT(DISTINCT scheduled_for) FROM maintd_runs") == kRounds);
}

TEST_CASE_TEMPLATE("store: slot claim: the same slot of another task, and another slot, are free",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  const auto first = runs.claim_slot(scheduled("a.task", "2026-03-29T01:00:00Z"));
  REQUIRE(first);
  CHECK_FALSE(runs.claim_slot(scheduled("a.task", "2026-03-29T01:00:00Z")));
  const auto other_task = runs.claim_slot(scheduled("b.task", "2026-03-29T01:00:00Z"));
  const auto other_slot = runs.claim_slot(scheduled("a.task", "2026-03-29T01:05:00Z"));
  REQUIRE(other_task);
  REQUIRE(other_slot);
  CHECK(std::set<store::RunId>{*first, *other_task, *other_slot}.size() == 3);
  // A lost claim does not disturb the winner's row.
  CHECK(runs.get(*first)->status == RunStatus::pending);
}

TEST_CASE_TEMPLATE("store: manual runs have no slot and never conflict", Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  store::NewRun manual;
  manual.task_name = "claims.release_expired";
  manual.task_type = "claims.release_expired";
  manual.trigger = store::Trigger::manual;
  manual.scheduled_for = instant("2026-03-29T01:00:00Z");  // create_run() ignores a slot
  std::set<store::RunId> ids;
  for (int i = 0; i < 3; ++i) ids.insert(runs.create_run(manual));
  CHECK(ids.size() == 3);
  // claim_slot() without a slot inserts too: NULLs are distinct under UNIQUE.
  store::NewRun slotless = manual;
  slotless.scheduled_for.reset();
  const auto claimed = runs.claim_slot(slotless);
  REQUIRE(claimed);
  ids.insert(*claimed);
  CHECK(ids.size() == 4);
  for (store::RunId id : ids) {
    const auto run = runs.get(id);
    REQUIRE(run);
    CHECK_FALSE(run->scheduled_for.has_value());
    CHECK(run->trigger == store::Trigger::manual);
  }
  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs WHERE scheduled_for IS NULL") == 4);
}

TEST_CASE_TEMPLATE("store: runs: a claimed run reads back with every field", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock(TestClock::parse("2026-03-29T00:59:58.250Z"));
  store::RunStore runs(db, clock.clock());
  store::NewRun run = scheduled("drafts.expire", "2026-03-29T01:00:00Z");
  run.task_type = "drafts.expire_pending";
  run.trigger = store::Trigger::catchup;
  run.attempt = 2;
  run.dry_run = true;
  run.config = {{"older_than", "7d"}, {"batch", 500}, {"name", "ünïcode 'quoted'"}};
  const auto id = runs.claim_slot(run);
  REQUIRE(id);
  const auto got = runs.get(*id);
  REQUIRE(got);
  CHECK(got->id == *id);
  CHECK(got->task_name == "drafts.expire");
  CHECK(got->task_type == "drafts.expire_pending");
  CHECK(got->trigger == store::Trigger::catchup);
  REQUIRE(got->scheduled_for);
  CHECK(*got->scheduled_for == instant("2026-03-29T01:00:00Z"));
  CHECK(got->status == RunStatus::pending);
  CHECK(got->attempt == 2);
  CHECK(got->dry_run);
  CHECK(got->config == run.config);
  CHECK(got->instance_id.empty());
  CHECK(got->host.empty());
  CHECK(got->pid == 0);
  CHECK_FALSE(got->heartbeat_at);
  CHECK(got->created_at == clock.now());
  CHECK_FALSE(got->started_at);
  CHECK_FALSE(got->finished_at);
  CHECK(got->result.is_null());
  CHECK(got->error.empty());

  CHECK_FALSE(runs.get(*id + 1000).has_value());
}

TEST_CASE_TEMPLATE(
    "store: skipped slots are recorded with the reason and finished_at, never started", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  store::NewRun skipped = scheduled("claims.release_expired", "2026-03-29T01:00:00Z");
  skipped.status = RunStatus::skipped;
  skipped.error = "overlap: run 41 is still running (concurrency: forbid)";
  const auto id = runs.claim_slot(skipped);
  REQUIRE(id);
  const auto got = runs.get(*id);
  REQUIRE(got);
  CHECK(got->status == RunStatus::skipped);
  CHECK(got->error == skipped.error);
  REQUIRE(got->finished_at);
  CHECK(*got->finished_at == clock.now());
  CHECK_FALSE(got->started_at);
  // The slot is taken: nobody runs it later, and the skipped run cannot be started.
  CHECK_FALSE(runs.claim_slot(scheduled("claims.release_expired", "2026-03-29T01:00:00Z")));
  CHECK_FALSE(runs.start(*id, {"i1", "host", 1}));
  CHECK(runs.get(*id)->status == RunStatus::skipped);
  CHECK(runs.active_runs("claims.release_expired").empty());
}

TEST_CASE_TEMPLATE("store: timestamps read as ISO-8601 UTC text with milliseconds in plain SQL",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock(TestClock::parse("2026-03-29T00:59:58.250Z"));
  store::RunStore runs(db, clock.clock());
  const auto id = runs.claim_slot(scheduled("a.task", "2026-03-29T01:00:00Z"));
  REQUIRE(id);
  REQUIRE(runs.start(*id, {"i1", "host", 1}));
  clock.advance(std::chrono::milliseconds(1500));
  REQUIRE(runs.finish(*id, RunStatus::completed, {{"rows", 3}}, ""));
  runs.add_event(*id, "info", "batch", "3 rows");

  auto sql = backend.raw();
  CHECK(scalar(*sql, "SELECT scheduled_for FROM maintd_runs") == "2026-03-29T01:00:00.000Z");
  CHECK(scalar(*sql, "SELECT created_at FROM maintd_runs") == "2026-03-29T00:59:58.250Z");
  CHECK(scalar(*sql, "SELECT finished_at FROM maintd_runs") == "2026-03-29T00:59:59.750Z");
  CHECK(scalar(*sql, "SELECT at FROM maintd_run_events") == "2026-03-29T00:59:59.750Z");
  CHECK(scalar(*sql, "SELECT started_at FROM maintd_runs") == "2026-03-29T00:59:58.250Z");
  // heartbeat_at comes from the database's clock (see RunStore::abandon_expired): the same
  // format, and real time rather than the fake clock's.
  const std::string heartbeat = scalar(*sql, "SELECT heartbeat_at FROM maintd_runs");
  CAPTURE(heartbeat);
  CHECK(heartbeat.size() == 24);
  CHECK(heartbeat[10] == 'T');
  CHECK(heartbeat[19] == '.');
  CHECK(heartbeat.back() == 'Z');
  const auto beat = store::parse_timestamp(heartbeat);
  REQUIRE(beat);
  CHECK(std::chrono::abs(*beat - store::system_clock()()) < std::chrono::minutes(1));
  CHECK(scalar(*sql, "SELECT result FROM maintd_runs") == R"({"rows":3})");
  CHECK(scalar(*sql, "SELECT status FROM maintd_runs") == "completed");
  CHECK(scalar(*sql, "SELECT trigger_type FROM maintd_runs") == "schedule");
  // Text that sorts as time: the range query a person would write works.
  CHECK(count(*sql,
              "SELECT COUNT(*) FROM maintd_runs WHERE scheduled_for >= '2026-03-29T00:00:00.000Z' "
              "AND scheduled_for < '2026-03-30T00:00:00.000Z'") == 1);
}
