#pragma once
// What the scheduled_tasks tests stand on: a configuration directory (maintd.yaml plus schedule
// files, written per test) whose state database is SQLite (a file in that directory) or a real
// PostgreSQL (one database per test case in the process's throwaway cluster,
// support/postgres_cluster.hpp).
//
//   TASKS_TEST("tasks: ...") { TaskEnv<Backend> env; env.schedule("a.yaml", "..."); ... }
//
// defines two doctest cases, "tasks: ... (sqlite)" and "tasks: ... (postgresql)"; the CMake file
// labels the second kind `postgres`.
#include <doctest/doctest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/instant.hpp"
#include "config/loader.hpp"
#include "config/task_entry.hpp"
#include "handlers/builtin.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/timestamp.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "tasks/task_load.hpp"
#include "tasks/task_sync.hpp"

namespace maintd::testing {

struct SqliteTasks {
  static constexpr bool kSqlite = true;
  std::string state_url(const TempDir&) const { return "sqlite3://state.db"; }
  std::unique_ptr<soci::session> raw(const TempDir& dir) const {
    return std::make_unique<soci::session>(
        soci::sqlite3, "db=" + (dir.path() / "state.db").string() + " timeout=5");
  }
};

struct PostgresTasks {
  static constexpr bool kSqlite = false;
  std::string database = next_name();

  PostgresTasks() { PostgresCluster::shared().create_database(database); }
  std::string state_url(const TempDir&) const { return PostgresCluster::shared().uri(database); }
  std::unique_ptr<soci::session> raw(const TempDir&) const {
    return std::make_unique<soci::session>(soci::postgresql,
                                           PostgresCluster::shared().soci_connect(database));
  }

 private:
  static std::string next_name() {
    static std::atomic<int> counter{0};
    return "tasks_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }
};

// A clock the test moves by hand.
struct TestClock {
  std::shared_ptr<store::Timestamp> now =
      std::make_shared<store::Timestamp>(*store::parse_timestamp("2026-03-29T00:00:00.000Z"));
  store::Clock clock() const {
    return [now = now] { return *now; };
  }
  std::string text() const { return store::format_timestamp(*now); }
  void advance(std::chrono::milliseconds by) { *now += by; }
};

template <class Backend>
struct TaskEnv {
  Backend backend;
  TempDir dir;
  TestClock clock;
  std::string settings;  // more of maintd.yaml, after state_database and schedules
  std::shared_ptr<store::Database> database;

  TaskEnv() { write_settings(); }

  void write_settings(const std::string& more = {}) {
    settings = more;
    dir.write("maintd.yaml",
              "state_database: \"" + backend.state_url(dir) +
                  "\"\nschedules: [schedules/]\ndatabases:\n  app: sqlite3://app.db\n" + settings);
  }
  void schedule(const std::string& file, const std::string& yaml) const {
    dir.write("schedules/" + file, yaml);
  }
  void remove_schedule(const std::string& file) const {
    std::filesystem::remove(dir.path() / "schedules" / file);
  }
  std::filesystem::path config_path() const { return dir.path() / "maintd.yaml"; }

  config::Config load() {
    const registry::Registry builtin = handlers::builtin_registry();
    config::LoadOptions options;
    options.config_path = config_path();
    options.handlers = &builtin;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    auto result = config::load_config(options);
    for (const auto& error : result.diagnostics.errors()) MESSAGE(error.to_string());
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
  }

  store::Database& db() {
    if (!database) {
      database = store::Database::open(load().state_database);
      store::migrate(*database);
    }
    return *database;
  }

  tasks::SyncPlan sync() {
    const config::Config config = load();
    return tasks::sync_tasks(db(), config, clock.clock());
  }
  tasks::TaskSet tasks() {
    // The set points at the config's file tasks: it keeps the config alive.
    auto config = std::make_shared<const config::Config>(load());
    tasks::TaskSet set = tasks::load_tasks(db(), *config, clock.clock());
    set.keep_alive(config);
    return set;
  }

  std::unique_ptr<soci::session> raw() const { return backend.raw(dir); }
  std::string scalar(const std::string& query) const {
    auto sql = raw();
    std::string value;
    soci::indicator ind = soci::i_ok;
    *sql << query, soci::into(value, ind);
    return ind == soci::i_ok ? value : "NULL";
  }
  long long count(const std::string& query) const {
    auto sql = raw();
    long long value = -1;
    *sql << query, soci::into(value);
    return value;
  }
  void execute(const std::string& statement) const {
    auto sql = raw();
    *sql << statement;
  }
  // One column of one task's row, as text ("NULL" for NULL).
  std::string column(const std::string& name, const std::string& column) const {
    return scalar("SELECT CAST(" + column + " AS TEXT) FROM scheduled_tasks WHERE name = '" + name +
                  "'");
  }
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every diagnostic as text, one per line: errors then warnings.
inline std::string all_text(const config::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics.errors()) out += d.to_string() + "\n";
  for (const auto& d : diagnostics.warnings()) out += d.to_string() + "\n";
  return out;
}

}  // namespace maintd::testing

// One body, two test cases: "NAME (sqlite)" and "NAME (postgresql)".
#define MAINTD_TASKS_TEST_IMPL(body, name)    \
  template <class Backend>                    \
  static void body();                         \
  TEST_CASE(name " (sqlite)") {               \
    body<::maintd::testing::SqliteTasks>();   \
  }                                           \
  TEST_CASE(name " (postgresql)") {           \
    body<::maintd::testing::PostgresTasks>(); \
  }                                           \
  template <class Backend>                    \
  static void body()
#define TASKS_TEST(name) MAINTD_TASKS_TEST_IMPL(DOCTEST_CAT(maintd_tasks_test_, __LINE__), name)
