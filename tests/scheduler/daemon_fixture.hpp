#pragma once
// A daemon against a real SQLite state database in a temp dir, driven with an injected clock,
// with test handlers: test.block (until cancelled), test.fail (always throws).
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <thread>

#include "handlers/builtin.hpp"
#include "scheduler/daemon.hpp"
#include "scheduler/task_factory.hpp"
#include "store/migrations.hpp"
#include "support/temp_dir.hpp"

namespace maintd::testing {

using namespace std::chrono_literals;
using maintd::store::RunRecord;
using maintd::store::RunStatus;

// Waits for the run's stop token (10 s at most, so a broken test cannot hang CI).
inline nlohmann::json block_until_stopped(maintd::registry::HandlerContext& context) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, context.cancelled, 10s, [] { return false; });
  return {{"stopped", context.stop_requested()}};
}

struct DaemonFixture {
  TempDir dir;
  std::shared_ptr<maintd::config::Config> config = std::make_shared<maintd::config::Config>();
  std::vector<maintd::config::Task> tasks;
  Instant now = at("2026-01-01T00:00:00Z");
  // test.gate: waits until the test opens the gate (10 s at most), then fails. A run the test
  // keeps in flight while it changes the tasks under it, and ends when it chooses.
  std::promise<void> gate;
  std::shared_future<void> gate_opened = gate.get_future().share();
  // How the daemon's state database is opened (a test may shorten SQLite's busy timeout).
  maintd::store::DatabaseOptions database_options;

  DaemonFixture() {
    auto registry =
        std::make_shared<maintd::registry::Registry>(maintd::handlers::builtin_registry());
    registry->add_handler({"test.block", "blocks until cancelled", {}, block_until_stopped});
    registry->add_handler(
        {"test.fail", "always fails", {}, [](maintd::registry::HandlerContext&) -> nlohmann::json {
           throw std::runtime_error("it broke");
         }});
    registry->add_handler(
        {"test.gate",
         "fails once the test opens the gate",
         {},
         [opened = gate_opened](maintd::registry::HandlerContext&) -> nlohmann::json {
           opened.wait_for(10s);
           throw std::runtime_error("failed after the gate opened");
         }});
    config->registry = registry;
    config->state_database =
        *maintd::connection::parse_database_url("sqlite3://state.db", std::nullopt, dir.path());
    config->daemon.heartbeat_interval = 1s;
    maintd::store::migrate(*open());
  }

  std::shared_ptr<maintd::store::Database> open() {
    return maintd::store::Database::open(config->state_database, database_options);
  }

  std::unique_ptr<maintd::scheduler::Daemon> daemon() {
    maintd::scheduler::DaemonOptions options;
    options.now = [this] { return now; };
    options.load_tasks = [this](maintd::store::TaskTable&, const maintd::config::Config&) {
      return maintd::tasks::TaskSet(tasks);
    };
    return std::make_unique<maintd::scheduler::Daemon>(config, open(), options);
  }

  // For a daemon that loads (and reloads) its tasks from the files in `dir` (maintd.yaml), with
  // `handlers`, no environment and this fixture's clock.
  maintd::scheduler::DaemonOptions file_options(const maintd::registry::Registry& handlers) {
    maintd::scheduler::DaemonOptions options;
    options.config_path = dir.path() / "maintd.yaml";
    options.handlers = &handlers;
    options.env = [](const std::string&) { return std::nullopt; };
    options.now = [this] { return now; };
    return options;
  }

  std::vector<RunRecord> runs() {
    maintd::store::RunStore store(open(), maintd::store::system_clock());
    auto all = store.history({.limit = 1000});
    std::reverse(all.begin(), all.end());  // oldest first
    return all;
  }

  std::vector<std::string> events(maintd::store::RunId id) {
    maintd::store::RunStore store(open(), maintd::store::system_clock());
    std::vector<std::string> out;
    for (const auto& e : store.events(id)) out.push_back(e.event + ": " + e.message);
    return out;
  }

  // Waits until run `id` has `status` (its worker picked it up, or recorded its end).
  void wait_status(maintd::store::RunId id, RunStatus status) {
    maintd::store::RunStore store(open(), maintd::store::system_clock());
    for (int i = 0; i < 2000; ++i) {
      if (auto run = store.get(id); run && run->status == status) return;
      std::this_thread::sleep_for(5ms);
    }
    FAIL("run " << id << " never became " << to_string(status));
  }
  void wait_running(maintd::store::RunId id) { wait_status(id, RunStatus::running); }
};

}  // namespace maintd::testing
