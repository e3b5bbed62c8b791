// Runs recorded per second: one run is what the daemon writes for one execution, claim_slot +
// start + 3 add_event + finish (6 statements), through RunStore. Side by side in the same run:
// the same 6 statements (same SQL, same values) on one plain SOCI session, without maintd's layer
// (no pool, no error mapping, no timestamps formatted), the floor the store stands on.
//
// Then the daemon's case: 4 threads (its default `workers`) recording runs at once, each run's
// start, events and finish either committed one by one through RunStore (what the daemon did
// before the journal) or group-committed through RunJournal (what it does now).
//
// SQLite: a fresh WAL file in a temporary directory per benchmark run, with maintd's settings
// (synchronous=NORMAL). PostgreSQL: a throwaway cluster from the test harness
// (tests/support/postgres_cluster.hpp), started once per process, one fresh database per
// benchmark run, over its unix socket; the harness runs the server with fsync and
// synchronous_commit off, so those figures count round trips and server CPU, not disk flushes.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <memory>
#include <string>

#include "connection/database_url.hpp"
#include "store/migrations.hpp"
#include "store/run_journal.hpp"
#include "store/run_store.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

namespace {

using maintd::store::RunStatus;

// A state database for one benchmark run, migrated by maintd, plus what a plain SOCI session
// needs to reach it.
struct Target {
  std::unique_ptr<maintd::testing::TempDir> dir;  // SQLite only
  maintd::connection::DatabaseUrl url;
  const soci::backend_factory* backend = nullptr;
  std::string soci_connect;
};

Target sqlite_target() {
  Target t;
  t.dir = std::make_unique<maintd::testing::TempDir>();
  t.url = maintd::connection::parse_database_url(
              "sqlite3://" + (t.dir->path() / "state.db").string(), std::nullopt, "/")
              .value();
  t.backend = &soci::sqlite3;
  t.soci_connect = t.url.connect;
  return t;
}

Target postgres_target() {
  static std::atomic<int> counter{0};
  auto& cluster = maintd::testing::PostgresCluster::shared();
  const std::string name = fmt::format("bench_{}", ++counter);
  Target t;
  t.soci_connect = cluster.create_database(name);
  t.url = maintd::connection::parse_database_url(cluster.uri(name), std::nullopt, "/").value();
  t.backend = &soci::postgresql;
  return t;
}

Target make_target(bool postgres) {
  Target t = postgres ? postgres_target() : sqlite_target();
  maintd::store::migrate(*maintd::store::Database::open(t.url, 1));
  return t;
}

maintd::Instant slot(long long n) {
  return maintd::Instant(std::chrono::seconds(1'800'000'000LL + 60 * n));
}

// The run every benchmark records (its slot set per iteration).
maintd::store::NewRun bench_run() {
  maintd::store::NewRun run;
  run.task_name = "claims.release_expired";
  run.task_type = "claims.release_expired";
  run.trigger = maintd::store::Trigger::schedule;
  run.config = {{"older_than", "1h"}, {"batch", 500}};
  return run;
}

void record_runs_with_store(benchmark::State& state, bool postgres) {
  Target target;
  try {
    target = make_target(postgres);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  auto database = maintd::store::Database::open(target.url);
  maintd::store::RunStore runs(database, maintd::store::system_clock());
  const maintd::store::Worker worker{"bench-instance", "bench-host", 4242};
  const nlohmann::json result = {{"released", 3}};
  maintd::store::NewRun run = bench_run();
  long long n = 0;
  for (auto _ : state) {
    run.scheduled_for = slot(n++);
    const auto id = runs.claim_slot(run);
    if (!id || !runs.start(*id, worker)) {
      state.SkipWithError("claim or start lost");
      break;
    }
    runs.add_event(*id, "info", "start", "releasing claims older than 1h");
    runs.add_event(*id, "info", "batch", "released 3 claims");
    runs.add_event(*id, "info", "complete", "done");
    if (!runs.finish(*id, RunStatus::completed, result, "")) {
      state.SkipWithError("finish lost");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// The same statements with plain SOCI: one session, `sql << ...` as the SOCI documentation
// writes it, the values prepared outside the loop except the slot and the times.
void record_runs_with_plain_soci(benchmark::State& state, bool postgres) {
  Target target;
  try {
    target = make_target(postgres);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  soci::session sql(*target.backend, target.soci_connect);
  if (!postgres) {
    sql << "PRAGMA busy_timeout = 5000";
    sql << "PRAGMA journal_mode = WAL";
    sql << "PRAGMA foreign_keys = ON";
    sql << "PRAGMA synchronous = NORMAL";
  }
  const std::string now_sql =
      postgres
          ? "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
          : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
  const std::string task = "claims.release_expired", trigger = "schedule", status = "pending";
  const std::string config = R"({"batch":500,"older_than":"1h"})", result = R"({"released":3})";
  const std::string instance = "bench-instance", host = "bench-host";
  const std::string info = "info", completed = "completed";
  const std::string messages[3][2] = {{"start", "releasing claims older than 1h"},
                                      {"batch", "released 3 claims"},
                                      {"complete", "done"}};
  const int attempt = 1, dry_run = 0;
  const long long pid = 4242;
  const std::string now = "2026-03-29T01:00:00.000Z";
  long long n = 0;
  for (auto _ : state) {
    const std::string slot_text = fmt::format("{}", 1'800'000'000LL + 60 * n++);
    long long id = 0;
    sql << "INSERT INTO maintd_runs (task_name, task_type, trigger_type, scheduled_for, status, "
           "attempt, dry_run, config, created_at) VALUES (:task, :type, :trig, :slot, :status, "
           ":attempt, :dry, :config, :now) ON CONFLICT (task_name, scheduled_for) DO NOTHING "
           "RETURNING id",
        soci::use(task), soci::use(task), soci::use(trigger), soci::use(slot_text),
        soci::use(status), soci::use(attempt), soci::use(dry_run), soci::use(config),
        soci::use(now), soci::into(id);
    sql << "UPDATE maintd_runs SET status = 'running', started_at = :now, heartbeat_at = " +
               now_sql +
               ", instance_id = :instance, host = :host, pid = :pid "
               "WHERE id = :id AND status = 'pending'",
        soci::use(now), soci::use(instance), soci::use(host), soci::use(pid), soci::use(id);
    for (const auto& message : messages) {
      sql << "INSERT INTO maintd_run_events (run_id, at, level, event, message) "
             "VALUES (:run, :at, :level, :event, :message)",
          soci::use(id), soci::use(now), soci::use(info), soci::use(message[0]),
          soci::use(message[1]);
    }
    sql << "UPDATE maintd_runs SET status = :status, finished_at = :now, result = :result "
           "WHERE id = :id AND status = 'running'",
        soci::use(completed), soci::use(now), soci::use(result), soci::use(id);
  }
  state.SetItemsProcessed(state.iterations());
}

// What the threads of one concurrent benchmark run share: set up by thread 0 before the timed
// loop (Google Benchmark holds the other threads at the loop's start until all arrive).
struct Shared {
  Target target;
  std::shared_ptr<maintd::store::Database> database;
  std::unique_ptr<maintd::store::RunStore> runs;
  std::unique_ptr<maintd::store::RunJournal> journal;
  std::atomic<long long> next_slot{0};
};
Shared* shared = nullptr;

// Runs recorded by 4 threads at once. The claim goes through RunStore either way (the daemon
// claims in batches on its loop); start, 3 events and finish through `journal` or, without it,
// through RunStore, one commit each.
void record_runs_concurrently(benchmark::State& state, bool postgres, bool journal) {
  if (state.thread_index() == 0) {
    shared = new Shared;
    try {
      shared->target = make_target(postgres);
      // One session per worker, one for the journal, one for the claims: the daemon's pool.
      shared->database = maintd::store::Database::open(shared->target.url, 6);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
    if (shared->database) {
      shared->runs = std::make_unique<maintd::store::RunStore>(shared->database,
                                                               maintd::store::system_clock());
      shared->journal = std::make_unique<maintd::store::RunJournal>(shared->database,
                                                                    maintd::store::system_clock());
    }
  }
  const maintd::store::Worker worker{"bench-instance", "bench-host", 4242};
  const nlohmann::json result = {{"released", 3}};
  maintd::store::NewRun run = bench_run();
  for (auto _ : state) {
    if (!shared->journal) {
      state.SkipWithError("no state database");
      break;
    }
    auto& runs = *shared->runs;
    auto& log = *shared->journal;
    run.scheduled_for = slot(shared->next_slot++);
    const auto id = runs.claim_slot(run);
    if (!id || !(journal ? log.start(*id, worker) : runs.start(*id, worker))) {
      state.SkipWithError("claim or start lost");
      break;
    }
    const auto event = [&](const char* name, const char* message) {
      if (journal) {
        log.add_event(*id, "bench.task", "info", name, message);
      } else {
        runs.add_event(*id, "info", name, message);
      }
    };
    event("start", "releasing claims older than 1h");
    event("batch", "released 3 claims");
    event("complete", "done");
    if (!(journal ? log.finish(*id, RunStatus::completed, result, "")
                  : runs.finish(*id, RunStatus::completed, result, ""))) {
      state.SkipWithError("finish lost");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete shared;  // the journal writes what is left, then stops
    shared = nullptr;
  }
}

void BM_RecordRun_Store_SQLite(benchmark::State& state) {
  record_runs_with_store(state, false);
}
void BM_RecordRun_PlainSoci_SQLite(benchmark::State& state) {
  record_runs_with_plain_soci(state, false);
}
void BM_RecordRun_Store_PostgreSQL(benchmark::State& state) {
  record_runs_with_store(state, true);
}
void BM_RecordRun_PlainSoci_PostgreSQL(benchmark::State& state) {
  record_runs_with_plain_soci(state, true);
}

void BM_RecordRun4_Store_SQLite(benchmark::State& state) {
  record_runs_concurrently(state, false, false);
}
void BM_RecordRun4_Journal_SQLite(benchmark::State& state) {
  record_runs_concurrently(state, false, true);
}
void BM_RecordRun4_Store_PostgreSQL(benchmark::State& state) {
  record_runs_concurrently(state, true, false);
}
void BM_RecordRun4_Journal_PostgreSQL(benchmark::State& state) {
  record_runs_concurrently(state, true, true);
}

BENCHMARK(BM_RecordRun_Store_SQLite)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_RecordRun_PlainSoci_SQLite)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(BM_RecordRun_Store_PostgreSQL)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(BM_RecordRun_PlainSoci_PostgreSQL)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();

// Threads(4): the daemon's default `workers`; UseRealTime: wall time, all threads together.
BENCHMARK(BM_RecordRun4_Store_SQLite)->Threads(4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_RecordRun4_Journal_SQLite)->Threads(4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_RecordRun4_Store_PostgreSQL)->Threads(4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_RecordRun4_Journal_PostgreSQL)->Threads(4)->MinTime(2.0)->UseRealTime();

}  // namespace
