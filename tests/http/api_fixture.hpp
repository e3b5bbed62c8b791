#pragma once
// A daemon over a real SQLite state database in a temp dir, configured from real YAML files
// (so file tasks have a file and a line), with the admin server on 127.0.0.1:<free port>.
// Start::stepped (most tests): the daemon's loop is not run: start() loads the tasks, manual runs
// go to its workers, and the server is told the daemon runs. Start::held: as `maintd serve` does
// it, the server listens, then Daemon::run() runs on a thread of its own, its task load held
// until release().
#include <doctest/doctest.h>

#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>

#include "config/loader.hpp"
#include "handlers/builtin.hpp"
#include "http/server.hpp"
#include "http_client.hpp"
#include "scheduler/daemon.hpp"
#include "store/migrations.hpp"
#include "support/task_tables.hpp"
#include "support/temp_dir.hpp"
#include "tasks/task_edit.hpp"
#include "tasks/task_load.hpp"
#include "tasks/task_row.hpp"

namespace maintd::testing {

inline constexpr const char* kToken = "rw-token-0123456789abcdef";
inline constexpr const char* kReadOnlyToken = "ro-token-fedcba9876543210";
inline constexpr const char* kDbPassword = "db-password-never-shown";
inline constexpr const char* kConfigSecret = "config-secret-never-shown";

inline Headers bearer(const std::string& token = kToken) {
  return {{"Authorization", "Bearer " + token}};
}

// test.slow: sleeps `ms` milliseconds (stopping early when cancelled) and counts how many of
// its runs overlap, so the concurrency test can prove "at most one at a time".
struct SlowProbe {
  std::mutex mutex;
  int running = 0;
  int max_running = 0;
  int finished = 0;
};

inline registry::Registry api_test_registry(std::shared_ptr<SlowProbe> probe) {
  using registry::KeySpec;
  using registry::ValueType;
  registry::Registry r = handlers::builtin_registry();
  r.add_handler({"test.slow", "sleeps ms milliseconds",
                 registry::ConfigSchema(
                     {KeySpec{"ms", ValueType::integer, "how long", false, 200, 0, 60000, {}}}),
                 [probe](registry::HandlerContext& context) -> nlohmann::json {
                   {
                     std::lock_guard lock(probe->mutex);
                     probe->max_running = std::max(probe->max_running, ++probe->running);
                   }
                   const auto until = std::chrono::steady_clock::now() +
                                      std::chrono::milliseconds(context.config.at("ms").get<int>());
                   while (std::chrono::steady_clock::now() < until &&
                          !context.cancelled.stop_requested()) {
                     std::this_thread::sleep_for(std::chrono::milliseconds(5));
                   }
                   std::lock_guard lock(probe->mutex);
                   --probe->running;
                   ++probe->finished;
                   return {{"slept", true}};
                 }});
  r.add_handler({"test.secret", "has a secret key",
                 registry::ConfigSchema(
                     {KeySpec{"api_token", ValueType::string, "a secret", false, {}, {}, {}, {}},
                      KeySpec{"limit", ValueType::integer, "a number", false, 10, 1, 100, {}}}),
                 [](registry::HandlerContext&) { return nlohmann::json::object(); }});
  return r;
}

struct ApiFixture {
  enum class Start { stepped, held };

  TempDir dir;
  std::shared_ptr<SlowProbe> probe = std::make_shared<SlowProbe>();
  registry::Registry handlers = api_test_registry(probe);
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<scheduler::Daemon> daemon;
  std::unique_ptr<http::Server> server;
  unsigned short port = 0;
  std::latch load_held{1};  // Start::held: the daemon's task load waits for it
  std::thread loop;         // Start::held: Daemon::run()
  std::string loop_error;   // Start::held: what Daemon::run() threw, if it did

  // `http`: the server's settings (listen is always 127.0.0.1:0).
  explicit ApiFixture(config::HttpSettings http = default_http(), std::size_t threads = 2,
                      Start start = Start::stepped) {
    dir.write("maintd.yaml", std::string(R"(state_database: sqlite3://state.db
databases:
  app:
    url: postgresql://maintd@db.invalid/app
    password: )") + kDbPassword + R"(
schedules:
  - schedules/
defaults:
  timezone: UTC
heartbeat_interval: 1s
)");
    dir.write("schedules/tasks.yaml", std::string(R"(tasks:
  - name: nightly
    type: debug.noop
    schedule: "0 3 * * *"
  - name: slow
    type: test.slow
    schedule: "0 4 * * *"
    concurrency: forbid
    config:
      ms: 300
  - name: secretive
    type: test.secret
    schedule: "0 5 * * *"
    config:
      api_token: )") + kConfigSecret + R"(
)");
    config::LoadOptions load;
    load.config_path = dir.path() / "maintd.yaml";
    load.handlers = &handlers;
    auto loaded = config::load_config(load);
    for (const auto& error : loaded.diagnostics.errors()) MESSAGE(error.to_string());
    REQUIRE(loaded.config);
    config = std::make_shared<const config::Config>(std::move(*loaded.config));
    auto database = store::Database::open(config->state_database, 8);
    store::migrate(*database);
    add_db_task(*database, R"({"name": "db-task", "type": "test.secret",
                               "schedule": "*/10 * * * *", "config": {"limit": 5}})");
    scheduler::DaemonOptions options;
    options.config_path = load.config_path;
    options.handlers = &handlers;
    http.listen = "127.0.0.1:0";
    http::ServerOptions server_options{.threads = threads};
    if (start == Start::stepped) {
      daemon = std::make_unique<scheduler::Daemon>(config, database, options);
      daemon->start(options.now());
      server_options.phase = [] { return scheduler::DaemonPhase::running; };
      server = std::make_unique<http::Server>(*daemon, http, server_options);
      server->start();
    } else {
      options.load_tasks = [this](store::TaskTable& db, const config::Config& configured) {
        load_held.wait();
        return tasks::load_tasks(db, configured);
      };
      // A fixed clock between the tasks' slots: the loop fires nothing of its own.
      const Instant fixed = parse_instant("2026-01-01T12:05:00Z", cctz::utc_time_zone()).value();
      options.now = [fixed] { return fixed; };
      daemon = std::make_unique<scheduler::Daemon>(config, database, options);
      server = std::make_unique<http::Server>(*daemon, http, server_options);
      server->start();
      loop = std::thread([this] {
        try {
          daemon->run();
        } catch (const std::exception& e) {
          loop_error = e.what();  // read after stop_daemon()
        }
      });
    }
    port = server->port();
  }

  ~ApiFixture() {
    if (loop.joinable()) {
      release();
      stop_daemon();
    }
    server->stop();
    daemon->cancel_running();
    daemon->wait_idle(std::chrono::seconds(10));
  }

  // Start::held: lets the daemon's task load go on (once).
  void release() {
    if (!released_) load_held.count_down();
    released_ = true;
  }
  // Start::held: stops Daemon::run() as SIGTERM would, and waits for it to return.
  void stop_daemon() {
    daemon->stop();
    loop.join();
  }

  static config::HttpSettings default_http() {
    config::HttpSettings http;
    http.token = kToken;
    http.read_only_token = kReadOnlyToken;
    return http;
  }

  void add_db_task(store::Database& database, const std::string& entry_text) {
    const auto entry = nlohmann::json::parse(entry_text);
    config::Diagnostics diagnostics;
    const auto task = tasks::validate_task_entry(entry, *config, entry.at("name"), diagnostics);
    REQUIRE(task);
    REQUIRE(tasks::insert_db_task(*maintd::testing::table_of(database),
                                  tasks::db_row_from_task(*task, entry), store::system_clock()));
  }

  // A request with the read-write token unless `headers` says otherwise.
  HttpResult call(const std::string& method, const std::string& target,
                  const std::string& body = {}, const Headers& headers = bearer()) {
    return http_request(port, method, target, body, headers);
  }
  HttpResult get(const std::string& target) { return call("GET", target); }
  HttpResult post(const std::string& target, const std::string& body = {}) {
    return call("POST", target, body);
  }

  std::optional<tasks::TaskRow> row(const std::string& name) {
    return tasks::read_task_row(*maintd::testing::table_of(daemon->database()), name);
  }
  std::vector<store::RunRecord> all_runs() { return daemon->runs().history({.limit = 100000}); }

  // Polls the run until it has ended (10 s at most).
  nlohmann::json wait_finished(std::int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto run = get("/api/v1/runs/" + std::to_string(id)).json().at("run");
      const std::string status = run.at("status");
      if (status != "pending" && status != "running") return run;
      if (std::chrono::steady_clock::now() > deadline) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  bool released_ = false;
};

}  // namespace maintd::testing
