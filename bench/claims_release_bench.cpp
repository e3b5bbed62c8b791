// claims.release_expired at scale (issue 6): a 1,000,000-row claims table with 200,000 expired
// claims, released by the handler in batches of 5,000 (each its own transaction), beside one raw
// UPDATE statement doing the same release in the same run. Targets: the handler within 1.5x of
// the raw UPDATE, and no single batch transaction longer than 100 ms.
//
// Each repetition restores the 200,000 expired claims (not timed), times the raw UPDATE, restores
// them again and times the handler. Counters: raw_ms, handler_ms, ratio (handler / raw),
// longest_batch_ms (the handler's longest batch transaction), released. The benchmark's own time
// is the handler's.
//
// The table: id INTEGER PRIMARY KEY, a status, claimed_at, claimed_by; no other index (the raw
// UPDATE scans the table, the handler walks the primary key). Of every 5 rows: 1 claimed an hour
// ago (expired), 1 claimed 5 minutes ago (held), 1 claimed 2 hours ago but completed (kept), 2
// unclaimed. SQLite: a WAL file in a temporary directory. PostgreSQL: a database of the test
// harness's throwaway cluster (fsync off: the figures count server work, not disk flushes),
// vacuumed after each restore so that both contenders meet the same table.
#include <benchmark/benchmark.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "config/database_url.hpp"
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

struct ClaimsDatabase {
  std::unique_ptr<maintd::testing::TempDir> dir;  // SQLite only
  maintd::config::DatabaseUrl url;
  bool postgres = false;

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
        "UPDATE claims SET claimed_at = {}, claimed_by = 'scraper-' || (id % 17) WHERE id % 5 = 0",
        ago(std::chrono::minutes(60)));
    if (postgres) {
      *sql << "VACUUM ANALYZE claims";
    } else {
      *sql << "PRAGMA wal_checkpoint(TRUNCATE)";
    }
  }
};

ClaimsDatabase make_database(bool postgres) {
  ClaimsDatabase db;
  db.postgres = postgres;
  if (postgres) {
    static std::atomic<int> counter{0};
    auto& cluster = maintd::testing::PostgresCluster::shared();
    const std::string name = fmt::format("claims_bench_{}", ++counter);
    cluster.create_database(name);
    db.url = maintd::config::parse_database_url(cluster.uri(name), std::nullopt, "/").value();
  } else {
    db.dir = std::make_unique<maintd::testing::TempDir>();
    db.url = maintd::config::parse_database_url("sqlite3://" + (db.dir->path() / "app.db").string(),
                                                std::nullopt, "/")
                 .value();
  }
  auto sql = db.open();
  if (!postgres) *sql << "PRAGMA journal_mode = WAL";
  *sql << fmt::format(
      "CREATE TABLE claims (id INTEGER PRIMARY KEY, title TEXT, status TEXT NOT NULL, "
      "claimed_at {}, claimed_by TEXT)",
      postgres ? "timestamptz" : "TEXT");
  const std::string rows = postgres ? fmt::format("generate_series(1, {}) AS n(i)", kRows) : "n";
  *sql << fmt::format(
      "{} INSERT INTO claims SELECT i, 'article ' || i, "
      "CASE WHEN i % 5 = 2 THEN 'completed' ELSE 'new' END, "
      "CASE i % 5 WHEN 0 THEN {} WHEN 1 THEN {} WHEN 2 THEN {} END, "
      "CASE WHEN i % 5 < 3 THEN 'scraper-' || (i % 17) END FROM {}",
      postgres ? ""
               : fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < {})",
                             kRows),
      db.ago(std::chrono::minutes(60)), db.ago(std::chrono::minutes(5)),
      db.ago(std::chrono::minutes(120)), rows);
  return db;
}

const ClaimsDatabase& database(bool postgres) {
  static const ClaimsDatabase sqlite = make_database(false);
  if (!postgres) return sqlite;
  static const ClaimsDatabase pg = make_database(true);
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
  return handler.run(context);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void release_expired(benchmark::State& state, bool postgres) {
  const ClaimsDatabase* db = nullptr;
  try {
    db = &database(postgres);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  double raw_ms = 0, handler_ms = 0, longest_ms = 0, released = 0;
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
}

void BM_ReleaseExpired_SQLite(benchmark::State& state) {
  release_expired(state, false);
}
void BM_ReleaseExpired_PostgreSQL(benchmark::State& state) {
  release_expired(state, true);
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

}  // namespace
