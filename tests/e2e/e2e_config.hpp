#pragma once
// A maintd.yaml for the end-to-end tests: a SQLite state database in a temp dir, one schedule
// file, short heartbeats, leases and grace periods so that every case takes seconds.
#include <filesystem>
#include <string>

#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

namespace maintd::e2e {

struct Settings {
  std::string state_database = "sqlite3://var/state.db";
  std::string catchup = "1m";
  int workers = 4;
  std::string heartbeat_interval = "1s";
  std::string lease = "3s";
  std::string shutdown_grace = "3s";
  std::string extra;  // more maintd.yaml, appended as written
};

inline std::string config_text(const Settings& settings) {
  return "state_database: \"" + settings.state_database + "\"\n" +
         "schedules: [tasks.yaml]\n"
         "defaults:\n"
         "  timezone: UTC\n"
         "  timeout: 1m\n"
         "  catchup: " +
         settings.catchup +
         "\n"
         "workers: " +
         std::to_string(settings.workers) +
         "\n"
         "heartbeat_interval: " +
         settings.heartbeat_interval +
         "\n"
         "lease: " +
         settings.lease +
         "\n"
         "poll_interval: 5s\n"
         "shutdown_grace: " +
         settings.shutdown_grace +
         "\n"
         "log: {level: debug, format: text}\n" +
         settings.extra;
}

// A test's directory: maintd.yaml, tasks.yaml, var/ (for the SQLite state database), and the
// daemons' logs.
struct Workspace {
  testing::TempDir dir;
  std::filesystem::path config;
  std::filesystem::path tasks;

  explicit Workspace(const std::string& tasks_yaml, const Settings& settings = {}) {
    std::filesystem::create_directories(dir.path() / "var");
    tasks = dir.write("tasks.yaml", tasks_yaml);
    config = dir.write("maintd.yaml", config_text(settings));
  }
  std::filesystem::path log(const std::string& name) const { return dir.path() / name; }
  connection::DatabaseUrl url(const std::string& text = "sqlite3://var/state.db") const {
    return state_url(text, dir.path());
  }
};

}  // namespace maintd::e2e
