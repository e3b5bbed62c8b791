#pragma once
// What every store test stands on: the same test body runs against SQLite (a file in a fresh
// temporary directory) and against a real PostgreSQL (one database per test case in the
// process's shared throwaway cluster, see support/postgres_cluster.hpp).
//
//   STORE_TEST("store: runs: ...") { Backend backend; auto db = backend.open_migrated(); ... }
//
// defines two doctest cases, "store: runs: ... (sqlite)" and "... (postgresql)"; the CMake file
// labels the second kind `postgres`. Inside the body, `Backend` is the backend's fixture type.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "config/database_url.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/run_store.hpp"
#include "store/timestamp.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

namespace maintd::testing {

inline config::DatabaseUrl parse_url(const std::string& text,
                                     const std::optional<std::string>& password = std::nullopt) {
  auto url = config::parse_database_url(text, password, "/");
  REQUIRE_MESSAGE(url.has_value(), "bad test URL " << text);
  return url.value();
}

// Both fixtures: url(), open(), open_migrated(), and raw(), a plain SOCI session (not through
// maintd) for checking what the store wrote as any other SQL client would see it.
struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  TempDir dir;
  std::filesystem::path file = dir.path() / "state.db";

  config::DatabaseUrl url() const { return parse_url("sqlite3://" + file.string()); }
  std::unique_ptr<soci::session> raw() const {
    auto sql = std::make_unique<soci::session>(soci::sqlite3, "db=" + file.string() + " timeout=5");
    *sql << "PRAGMA foreign_keys=ON";
    return sql;
  }
};

struct PostgresBackend {
  static constexpr const char* kName = "postgresql";
  std::string database = next_name();

  PostgresBackend() { PostgresCluster::shared().create_database(database); }
  config::DatabaseUrl url() const { return parse_url(PostgresCluster::shared().uri(database)); }
  std::unique_ptr<soci::session> raw() const {
    return std::make_unique<soci::session>(soci::postgresql,
                                           PostgresCluster::shared().soci_connect(database));
  }

 private:
  static std::string next_name() {
    static std::atomic<int> counter{0};
    return "store_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }
};

template <class Backend>
std::shared_ptr<store::Database> open(const Backend& backend, store::DatabaseOptions options = {}) {
  return store::Database::open(backend.url(), options);
}

template <class Backend>
std::shared_ptr<store::Database> open_migrated(const Backend& backend,
                                               store::DatabaseOptions options = {}) {
  auto database = open(backend, options);
  store::migrate(*database);
  return database;
}

// One value from a query, as text, through a plain session.
inline std::string scalar(soci::session& sql, const std::string& query) {
  std::string value;
  soci::indicator ind = soci::i_ok;
  sql << query, soci::into(value, ind);
  return ind == soci::i_ok ? value : "NULL";
}

inline long long count(soci::session& sql, const std::string& query) {
  long long value = -1;
  sql << query, soci::into(value);
  return value;
}

// A clock for the store that tests move by hand; copies share the time.
class FakeClock {
 public:
  explicit FakeClock(store::Timestamp start = parse("2026-03-29T00:00:00.000Z"))
      : now_(std::make_shared<std::atomic<long long>>(start.time_since_epoch().count())) {}
  store::Clock clock() const {
    return [now = now_] { return store::Timestamp(std::chrono::milliseconds(now->load())); };
  }
  store::Timestamp now() const { return store::Timestamp(std::chrono::milliseconds(now_->load())); }
  void advance(std::chrono::milliseconds by) { *now_ += by.count(); }
  void set(store::Timestamp at) { *now_ = at.time_since_epoch().count(); }

  static store::Timestamp parse(const std::string& text) {
    auto at = store::parse_timestamp(text);
    REQUIRE_MESSAGE(at.has_value(), "bad test timestamp " << text);
    return *at;
  }

 private:
  std::shared_ptr<std::atomic<long long>> now_;
};

// The message of the E that `body` throws; fails the test when it throws nothing.
template <class E, class F>
std::string thrown_message(F&& body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("nothing was thrown");
  return {};
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline Instant instant(const std::string& text) {
  return std::chrono::time_point_cast<std::chrono::seconds>(FakeClock::parse(text));
}

}  // namespace maintd::testing

// One body, two test cases: "NAME (sqlite)" and "NAME (postgresql)".
#define MAINTD_STORE_TEST_IMPL(body, name)      \
  template <class Backend>                      \
  static void body();                           \
  TEST_CASE(name " (sqlite)") {                 \
    body<::maintd::testing::SqliteBackend>();   \
  }                                             \
  TEST_CASE(name " (postgresql)") {             \
    body<::maintd::testing::PostgresBackend>(); \
  }                                             \
  template <class Backend>                      \
  static void body()
#define STORE_TEST(name) MAINTD_STORE_TEST_IMPL(DOCTEST_CAT(maintd_store_test_, __LINE__), name)
