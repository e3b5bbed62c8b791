// A built-in handler's failing statement, run by the executor as the daemon runs it: its bound
// values reach neither the recorded run's error, nor its events, nor the process log.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

#include "handlers/builtin.hpp"
#include "scheduler/run_executor.hpp"
#include "store/migrations.hpp"
#include "store/target_session.hpp"
#include "support/temp_dir.hpp"

using maintd::store::RunStatus;
using maintd::testing::TempDir;

namespace {

const std::string kSecret = "tok_live_9Qz7XbW4mK2pR8";

// Everything the default logger prints while it lives, and the logger it replaced after.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace

TEST_CASE("a failing runs.* statement leaks no bound value into the run, its events or the log") {
  TempDir dir;
  maintd::config::Config config;
  auto registry =
      std::make_shared<maintd::registry::Registry>(maintd::handlers::builtin_registry());
  config.registry = registry;
  config.state_database =
      *maintd::connection::parse_database_url("sqlite3://state.db", std::nullopt, dir.path());
  config.databases["app"] =
      *maintd::connection::parse_database_url("sqlite3://app.db", std::nullopt, dir.path());
  auto database = maintd::store::Database::open(config.state_database);
  maintd::store::migrate(*database);
  maintd::store::RunStore runs(database, maintd::store::system_clock());
  maintd::store::RunJournal journal(database, maintd::store::system_clock());
  maintd::scheduler::ExecutorSettings settings;
  settings.worker = {"test-instance", "testhost", 4242};

  // A runs table without the error column the task names: the UPDATE binding the secret fails.
  {
    auto app = maintd::store::open_target_session(config.databases["app"]);
    *app << "CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT, created_at TEXT, "
            "completed_at TEXT)";
    *app << "INSERT INTO runs VALUES (1, 'running', '2000-01-01 00:00:00', NULL)";
  }
  const auto* info = registry->resolve("runs.cleanup_stale").value().handler;
  const auto task_config = info->schema.with_defaults(
      {{"max_retries", 0}, {"error_column", "error_message"}, {"failed_status", kSecret}});

  maintd::store::NewRun run;
  run.task_name = "stale-runs";
  run.task_type = "runs.cleanup_stale";
  const auto id = runs.create_run(run);
  maintd::scheduler::RunExecutor executor(runs, journal, config, settings);
  CapturedLog log;
  const auto outcome = executor.execute(
      {id, run.task_name, run.task_type, task_config, false, std::chrono::seconds(30)}, {});

  CHECK(outcome.status == RunStatus::failed);
  CAPTURE(outcome.error);
  CHECK(outcome.error.find("error_message") != std::string::npos);  // the database's reason
  const auto recorded = runs.get(id);
  REQUIRE(recorded);
  std::string said = recorded->error + "\n" + log.text();
  for (const auto& event : runs.events(id)) said += "\n" + event.event + ": " + event.message;
  CAPTURE(said);
  CHECK(said.find(kSecret) == std::string::npos);
  CHECK(said.find(":failed") == std::string::npos);
  CHECK(log.text().find("error_message") != std::string::npos);  // the log did say why
}
