#pragma once
// A configuration and its state: a directory with maintd.yaml and schedule files (written per
// test), whose state database is on either backend (support/backends.hpp: a SQLite file, or a
// database of the process's throwaway PostgreSQL cluster), and the hand-moved clock
// (support/test_clock.hpp) for what the test syncs and edits.
//
//   TEST_CASE_TEMPLATE("tasks: ...", Backend, MAINTD_BACKENDS) {
//     ConfigState<Backend> env;
//     env.schedule("a.yaml", "tasks: ...");
//     auto set = env.tasks();
//   }
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "config/loader.hpp"
#include "config/task_entry.hpp"
#include "handlers/builtin.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "support/backends.hpp"
#include "support/task_tables.hpp"
#include "support/temp_dir.hpp"
#include "support/test_clock.hpp"
#include "support/text.hpp"
#include "tasks/task_load.hpp"
#include "tasks/task_sync.hpp"

namespace maintd::testing {

template <class Backend>
struct ConfigState {
  Backend backend;
  TempDir dir;
  TestClock clock;
  std::string settings;  // more of maintd.yaml, after state_database and schedules
  std::shared_ptr<store::Database> database;

  ConfigState() { write_settings(); }

  void write_settings(const std::string& more = {}) {
    settings = more;
    dir.write("maintd.yaml",
              "state_database: \"" + backend.url_text() +
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
    return tasks::sync_tasks(*maintd::testing::table_of(db()), config, clock.clock());
  }
  tasks::TaskSet tasks() {
    // The set points at the config's file tasks: it keeps the config alive.
    auto config = std::make_shared<const config::Config>(load());
    tasks::TaskSet set =
        tasks::load_tasks(*maintd::testing::table_of(db()), *config, clock.clock());
    set.keep_alive(config);
    return set;
  }

  std::unique_ptr<soci::session> raw() const { return backend.raw(); }
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
    return scalar(task_column_query(name, column));
  }
};

// Every diagnostic as text, one per line: errors then warnings.
inline std::string all_text(const config::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics.errors()) out += d.to_string() + "\n";
  for (const auto& d : diagnostics.warnings()) out += d.to_string() + "\n";
  return out;
}

}  // namespace maintd::testing
