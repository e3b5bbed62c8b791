// Leases: running runs whose heartbeat is older than the lease become abandoned, judged by the
// database's clock so that instances with skewed clocks agree.
#include <fmt/format.h>

#include <algorithm>

#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using store::RunStatus;

namespace {

store::RunId new_run(store::RunStore& runs) {
  store::NewRun run;
  run.task_name = "runs.cleanup_stale";
  run.task_type = "runs.cleanup_stale";
  return runs.create_run(run);
}

// heartbeat_at set with plain SQL to `seconds` ago by the database's own clock.
void beat_ago(soci::session& sql, bool sqlite, store::RunId id, int seconds) {
  const std::string then =
      sqlite ? fmt::format("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{} seconds')", seconds)
             : fmt::format(
                   "to_char((now() - interval '{} seconds') AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                   seconds);
  sql << fmt::format("UPDATE maintd_runs SET heartbeat_at = {} WHERE id = {}", then, id);
}

}  // namespace

TEST_CASE_TEMPLATE(
    "store: lease: pending and running runs with an old heartbeat are abandoned, no others",
    Backend, MAINTD_BACKENDS) {
  Backend backend;
  constexpr bool sqlite = std::is_same_v<Backend, SqliteBackend>;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  auto sql = backend.raw();
  const store::Worker worker{"i1", "h1", 1};

  const store::RunId stale = new_run(runs);
  REQUIRE(runs.start(stale, worker));
  beat_ago(*sql, sqlite, stale, 600);
  const store::RunId stale2 = new_run(runs);
  REQUIRE(runs.start(stale2, worker));
  beat_ago(*sql, sqlite, stale2, 301);
  const store::RunId fresh = new_run(runs);
  REQUIRE(runs.start(fresh, worker));
  beat_ago(*sql, sqlite, fresh, 200);
  const store::RunId pending = new_run(runs);
  REQUIRE(runs.heartbeat(pending));  // its claimer renews the lease while it waits for a worker
  const store::RunId stale_pending = new_run(runs);  // its claimer died before starting it
  beat_ago(*sql, sqlite, stale_pending, 600);
  const store::RunId done = new_run(runs);
  REQUIRE(runs.start(done, worker));
  beat_ago(*sql, sqlite, done, 600);
  REQUIRE(runs.finish(done, RunStatus::completed, nullptr, ""));

  auto abandoned = runs.abandon_expired(std::chrono::minutes(5));
  std::sort(abandoned.begin(), abandoned.end());
  CHECK(abandoned == std::vector<store::RunId>{stale, stale2, stale_pending});
  CHECK(runs.get(stale_pending)->status == RunStatus::abandoned);
  CHECK(runs.get(stale)->status == RunStatus::abandoned);
  CHECK(runs.get(stale2)->status == RunStatus::abandoned);
  CHECK(runs.get(fresh)->status == RunStatus::running);
  CHECK(runs.get(pending)->status == RunStatus::pending);
  CHECK(runs.get(done)->status == RunStatus::completed);
  const auto record = runs.get(stale);
  CHECK_MESSAGE(contains(record->error, "300 s"), record->error);
  CHECK_FALSE(record->finished_at);  // abandoned is not final: a late finish is still accepted

  // Idempotent: a second sweep (another instance) finds nothing.
  CHECK(runs.abandon_expired(std::chrono::minutes(5)).empty());
  // A renewed heartbeat keeps a run alive; the late finish of an abandoned one is accepted.
  CHECK(runs.heartbeat(fresh));
  CHECK(runs.abandon_expired(std::chrono::seconds(100)).empty());
  CHECK_FALSE(runs.heartbeat(stale));
  CHECK(runs.finish(stale, RunStatus::completed, {{"late", true}}, ""));
  CHECK(runs.get(stale)->status == RunStatus::completed);
  CHECK(runs.get(stale)->error.empty());
}

TEST_CASE_TEMPLATE(
    "store: lease: judged by the database's clock, whatever the instances' clocks say", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  // Two instances: one whose clock runs a day behind, one a day ahead.
  TestClock behind(store::system_clock()() - std::chrono::hours(24));
  TestClock ahead(store::system_clock()() + std::chrono::hours(24));
  store::RunStore slow(db, behind.clock());
  store::RunStore fast(db, ahead.clock());

  const store::RunId id = new_run(slow);
  REQUIRE(slow.start(id, {"slow", "h1", 1}));
  REQUIRE(slow.heartbeat(id));
  // The instance ahead must not think the run's heartbeat is a day old, nor the one behind
  // think the run renewed in its future.
  CHECK(fast.abandon_expired(std::chrono::minutes(1)).empty());
  CHECK(slow.abandon_expired(std::chrono::minutes(1)).empty());
  CHECK(fast.get(id)->status == RunStatus::running);

  auto sql = backend.raw();
  beat_ago(*sql, std::is_same_v<Backend, SqliteBackend>, id, 120);
  CHECK(slow.abandon_expired(std::chrono::minutes(1)) == std::vector<store::RunId>{id});
}

TEST_CASE_TEMPLATE("store: lease: a running run without a heartbeat is judged by when it started",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  // Set running by hand or by a crashed tool, with no heartbeat_at: without the fallback to
  // started_at it would stay running for ever.
  const store::RunId old = new_run(runs);
  const store::RunId recent = new_run(runs);
  auto sql = backend.raw();
  *sql << fmt::format(
      "UPDATE maintd_runs SET status = 'running', started_at = '2000-01-01T00:00:00.000Z' "
      "WHERE id = {}",
      old);
  *sql << fmt::format("UPDATE maintd_runs SET status = 'running', started_at = '{}' WHERE id = {}",
                      store::format_timestamp(store::system_clock()()), recent);
  CHECK(runs.abandon_expired(std::chrono::minutes(5)) == std::vector<store::RunId>{old});
}
