#pragma once
// The two state database backends every dual-backend test runs on, as doctest template types:
//
//   TEST_CASE_TEMPLATE("store: runs: ...", Backend, MAINTD_BACKENDS) {
//     Backend backend;
//     auto db = open_migrated(backend);
//     ...
//   }
//
// defines "store: runs: ...<sqlite>" (a file in a fresh temporary directory) and
// "store: runs: ...<postgresql>" (one database per test case in the process's shared throwaway
// cluster, support/postgres_cluster.hpp). maintd_test_suite(... BACKENDS) in
// cmake/MaintdTestSuite.cmake labels the second kind `postgres`, so `ctest -LE postgres` runs
// the rest without a server. A case that only means something on PostgreSQL (a frozen server,
// libpq's URI forms) is a plain TEST_CASE whose name ends in "<postgresql>" too, and one for
// SQLite only (its busy timeout, its file) in "<sqlite>".
#include <doctest/doctest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "connection/database_url.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

namespace maintd::testing {

inline connection::DatabaseUrl parse_url(
    const std::string& text, const std::optional<std::string>& password = std::nullopt) {
  auto url = connection::parse_database_url(text, password, "/");
  REQUIRE_MESSAGE(url.has_value(), "bad test URL " << text);
  return url.value();
}

// Both backends: kName, kSqlite, url() and its text, and raw(), a plain SOCI session (not
// through maintd) for checking what maintd wrote as any other SQL client would see it.
struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static constexpr bool kSqlite = true;
  TempDir dir;
  std::filesystem::path file = dir.path() / "state.db";

  std::string url_text() const { return "sqlite3://" + file.string(); }
  connection::DatabaseUrl url() const { return parse_url(url_text()); }
  std::unique_ptr<soci::session> raw() const {
    auto sql = std::make_unique<soci::session>(soci::sqlite3, "db=" + file.string() + " timeout=5");
    *sql << "PRAGMA foreign_keys=ON";
    return sql;
  }
};

struct PostgresBackend {
  static constexpr const char* kName = "postgresql";
  static constexpr bool kSqlite = false;
  std::string database = next_name();

  PostgresBackend() { PostgresCluster::shared().create_database(database); }
  std::string url_text() const { return PostgresCluster::shared().uri(database); }
  connection::DatabaseUrl url() const { return parse_url(url_text()); }
  std::unique_ptr<soci::session> raw() const {
    return std::make_unique<soci::session>(soci::postgresql,
                                           PostgresCluster::shared().soci_connect(database));
  }

 private:
  static std::string next_name() {
    static std::atomic<int> counter{0};
    return "db_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
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

// One value from a query, as text ("NULL" for NULL), through a plain session.
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

}  // namespace maintd::testing

// The names the template cases carry: "...<sqlite>", "...<postgresql>".
TYPE_TO_STRING_AS("sqlite", maintd::testing::SqliteBackend);
TYPE_TO_STRING_AS("postgresql", maintd::testing::PostgresBackend);

// The backends, for TEST_CASE_TEMPLATE's type list.
#define MAINTD_BACKENDS ::maintd::testing::SqliteBackend, ::maintd::testing::PostgresBackend
