// claims.release_expired at scale (issue 6): a 1,000,000-row claims table with 200,000 expired
// claims, released by the handler in batches of 5,000 (each its own transaction), beside one raw
// UPDATE statement doing the same release in the same run. Targets: the handler within 1.5x of
// the raw UPDATE, and no single batch transaction longer than 100 ms.
//
// Each repetition restores the 200,000 expired claims (not timed), times the raw UPDATE, restores
// them again and times the handler. Counters: raw_ms, handler_ms, ratio (handler / raw),
// longest_batch_ms (the handler's longest batch transaction), released, batches. The benchmark's
// own time is the handler's.
//
// The table: id INTEGER PRIMARY KEY, a status, claimed_at, claimed_by; no other index (the raw
// UPDATE scans the table, the handler walks the primary key). Of every 5 rows: 1 claimed an hour
// ago (expired), 1 claimed 5 minutes ago (held), 1 claimed 2 hours ago but completed (kept), 2
// unclaimed. The *Clustered benchmarks hold the same rows in another order: the expired claims
// are the last 200,000 rows, after 800,000 with none (a long stretch with nothing to release,
// then one where every row is released: the hard case for batches sized from the ones before
// them); the targets are for the first layout. SQLite: a WAL file in a temporary directory.
// PostgreSQL: a database of the test harness's throwaway cluster (fsync off: the figures count
// server work, not disk flushes), vacuumed after each restore so that both contenders meet the same
// table.
#include <benchmark/benchmark.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "connection/database_url.hpp"
#include "handlers/builtin.hpp"
#include "registry/registry.hpp"
#include "store/target_session.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

namespace {

constexpr long long kRows = 1'000'000;
constexpr long long kExpired = kRows / 5;
constexpr long long kBatch = 5000;

using Clock = std::chrono::steady_clock;

// Where the expired claims are: every 5th row (uniform), or the last 200,000 rows together, after
// 800,000 with nothing to release (clustered: the newest rows, being worked on when the workers
// died).
enum class Layout { uniform, clustered };

struct ClaimsDatabase {
  std::unique_ptr<maintd::testing::TempDir> dir;  // SQLite only
  maintd::connection::DatabaseUrl url;
  bool postgres = false;
  Layout layout = Layout::uniform;

  // The rows whose claims are expired, as a predicate on `id`.
  std::string expired_rows() const {
    return layout == Layout::uniform ? "id % 5 = 0" : fmt::format("id > {}", kRows - kExpired);
  }

  std::unique_ptr<soci::session> open() const { return maintd::store::open_target_session(url); }

  // An instant `ago` before now, as this backend's applications write it.
  std::string ago(std::chrono::minutes ago) const {
    const auto at =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() - ago);
    return postgres ? fmt::format("TIMESTAMPTZ '{:%Y-%m-%d %H:%M:%S}+00'", at)
                    : fmt::format("'{:%Y-%m-%d %H:%M:%S}'", at);
  }

  // The expired claims, as they were before any release.
  void restore() const {
    auto sql = open();
    *sql << fmt::format(
        "UPDATE claims SET claimed_at = {}, claimed_by = 'scraper-' || (id % 17) WHERE {}",
        ago(std::chrono::minutes(60)), expired_rows());
    if (postgres) {
      *sql << "VACUUM ANALYZE claims";
    } else {
      *sql << "PRAGMA wal_checkpoint(TRUNCATE)";
    }
  }
};

ClaimsDatabase make_database(bool postgres, Layout layout) {
  ClaimsDatabase db;
  db.postgres = postgres;
  db.layout = layout;
  if (postgres) {
    static std::atomic<int> counter{0};
    auto& cluster = maintd::testing::PostgresCluster::shared();
    const std::string name = fmt::format("claims_bench_{}", ++counter);
    cluster.create_database(name);
    db.url = maintd::connection::parse_database_url(cluster.uri(name), std::nullopt, "/").value();
  } else {
    db.dir = std::make_unique<maintd::testing::TempDir>();
    db.url = maintd::connection::parse_database_url(
                 "sqlite3://" + (db.dir->path() / "app.db").string(), std::nullopt, "/")
                 .value();
  }
  auto sql = db.open();
  if (!postgres) *sql << "PRAGMA journal_mode = WAL";
  *sql << fmt::format(
      "CREATE TABLE claims (id INTEGER PRIMARY KEY, title TEXT, status TEXT NOT NULL, "
      "claimed_at {}, claimed_by TEXT)",
      postgres ? "timestamptz" : "TEXT");
  const std::string rows = postgres ? fmt::format("generate_series(1, {}) AS n(i)", kRows) : "n";
  // Each row's kind: 0 expired (claimed an hour ago), 1 held (5 minutes ago), 2 completed
  // (claimed 2 hours ago), 3 unclaimed.
  const std::string kind =
      layout == Layout::uniform
          ? "CASE WHEN i % 5 < 3 THEN i % 5 ELSE 3 END"
          : fmt::format("CASE WHEN i > {} THEN 0 WHEN i % 4 < 2 THEN i % 4 + 1 ELSE 3 END",
                        kRows - kExpired);
  *sql << fmt::format(
      "{0} INSERT INTO claims SELECT i, 'article ' || i, "
      "CASE WHEN {5} = 2 THEN 'completed' ELSE 'new' END, "
      "CASE {5} WHEN 0 THEN {1} WHEN 1 THEN {2} WHEN 2 THEN {3} END, "
      "CASE WHEN {5} < 3 THEN 'scraper-' || (i % 17) END FROM {4}",
      postgres ? ""
               : fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < {})",
                             kRows),
      db.ago(std::chrono::minutes(60)), db.ago(std::chrono::minutes(5)),
      db.ago(std::chrono::minutes(120)), rows, kind);
  return db;
}

const ClaimsDatabase& database(bool postgres, Layout layout) {
  if (layout == Layout::clustered) {
    if (!postgres) {
      static const ClaimsDatabase sqlite = make_database(false, layout);
      return sqlite;
    }
    static const ClaimsDatabase pg = make_database(true, layout);
    return pg;
  }
  if (!postgres) {
    static const ClaimsDatabase sqlite = make_database(false, layout);
    return sqlite;
  }
  static const ClaimsDatabase pg = make_database(true, layout);
  return pg;
}

// The release as one statement, written as an operator would write it by hand.
long long raw_update(const ClaimsDatabase& db) {
  auto sql = db.open();
  soci::statement update =
      (sql->prepare << fmt::format(
           "UPDATE claims SET claimed_at = NULL, claimed_by = NULL WHERE "
           "claimed_at IS NOT NULL AND claimed_at < {} AND "
           "(status IS NULL OR status NOT IN ('completed'))",
           db.postgres ? "now() - interval '15 minutes'" : "datetime('now', '-15 minutes')"));
  update.execute(true);
  return update.get_affected_rows();
}

nlohmann::json run_handler(const ClaimsDatabase& db) {
  static const auto registry = maintd::handlers::builtin_registry();
  const auto& handler = *registry.resolve("claims.release_expired").value().handler;
  maintd::registry::HandlerContext context;
  context.task_name = context.type = "claims.release_expired";
  context.config = handler.schema.with_defaults({{"database", "app"},
                                                 {"table", "claims"},
                                                 {"claimed_by_column", "claimed_by"},
                                                 {"status_column", "status"},
                                                 {"completed_statuses", {"completed"}},
                                                 {"batch_size", kBatch}});
  context.sessions = [url = db.url](const std::string&) {
    return maintd::store::open_target_session(url);
  };
  // CLAIMS_BENCH_BATCHES=1: each batch's rows and time on stderr.
  if (const char* batches = std::getenv("CLAIMS_BENCH_BATCHES"); batches && *batches == '1') {
    context.on_event = [](maintd::registry::EventLevel, std::string_view event,
                          std::string_view message) {
      if (event == "batch") fmt::print(stderr, "{}\n", message);
    };
  }
  return handler.run(context);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void release_expired(benchmark::State& state, bool postgres, Layout layout) {
  const ClaimsDatabase* db = nullptr;
  try {
    db = &database(postgres, layout);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  double raw_ms = 0, handler_ms = 0, longest_ms = 0, released = 0, batches = 0;
  for (auto _ : state) {
    db->restore();
    auto start = Clock::now();
    const long long raw_released = raw_update(*db);
    raw_ms += ms_since(start);

    db->restore();
    start = Clock::now();
    const auto result = run_handler(*db);
    const double took = ms_since(start);
    handler_ms += took;
    state.SetIterationTime(took / 1000.0);
    longest_ms = std::max(longest_ms, result["longest_batch_ms"].get<double>());
    released += result["released"].get<double>();
    batches += result["batches"].get<double>();
    if (raw_released != kExpired || result["released"] != kExpired) {
      state.SkipWithError(fmt::format("released {} (raw) and {} (handler), expected {}",
                                      raw_released, result["released"].dump(), kExpired)
                              .c_str());
      break;
    }
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["raw_ms"] = raw_ms / n;
  state.counters["handler_ms"] = handler_ms / n;
  state.counters["ratio"] = handler_ms / raw_ms;
  state.counters["longest_batch_ms"] = longest_ms;
  state.counters["released"] = released / n;
  state.counters["batches"] = batches / n;
}

void BM_ReleaseExpired_SQLite(benchmark::State& state) {
  release_expired(state, false, Layout::uniform);
}
void BM_ReleaseExpired_PostgreSQL(benchmark::State& state) {
  release_expired(state, true, Layout::uniform);
}
void BM_ReleaseExpiredClustered_SQLite(benchmark::State& state) {
  release_expired(state, false, Layout::clustered);
}
void BM_ReleaseExpiredClustered_PostgreSQL(benchmark::State& state) {
  release_expired(state, true, Layout::clustered);
}

BENCHMARK(BM_ReleaseExpired_SQLite)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseManualTime();
BENCHMARK(BM_ReleaseExpired_PostgreSQL)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseManualTime();
BENCHMARK(BM_ReleaseExpiredClustered_SQLite)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseManualTime();
BENCHMARK(BM_ReleaseExpiredClustered_PostgreSQL)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseManualTime();

}  // namespace
