// The executor: outcomes (completed, failed, timed out, cancelled by the caller or by an
// operator), the run's events and heartbeats, progress, and target databases, on a real
// SQLite state database.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "handlers/builtin.hpp"
#include "scheduler/run_executor.hpp"
#include "store/migrations.hpp"
#include "support/captured_log.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;
using maintd::config::Config;
using maintd::registry::HandlerContext;
using maintd::registry::HandlerInfo;
using maintd::scheduler::RunExecutor;
using maintd::scheduler::RunRequest;
using maintd::store::RunStatus;
using maintd::testing::TempDir;

namespace {

// Blocks until the run's stop token fires (or 10 s pass, so a broken test cannot hang CI).
void wait_for_stop(const HandlerContext& context) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, context.cancelled, 10s, [] { return false; });
}

struct Fixture {
  TempDir dir;
  Config config;
  std::shared_ptr<maintd::store::Database> database;
  std::unique_ptr<maintd::store::RunStore> runs;
  std::unique_ptr<maintd::store::RunJournal> journal;
  maintd::scheduler::ExecutorSettings settings;

  Fixture() {
    auto registry = std::make_shared<maintd::registry::Registry>();
    auto add = [&](const std::string& type, maintd::registry::HandlerFunction run) {
      registry->add_handler(HandlerInfo{type, "test handler", {}, std::move(run)});
    };
    add("test.ok", [](HandlerContext& c) {
      c.info("work", "did the work");
      c.progress({5, 10, "rows", 1});
      return nlohmann::json{{"released", 3}, {"dry_run", c.dry_run}};
    });
    add("test.throws", [](HandlerContext&) -> nlohmann::json {
      throw std::runtime_error("table soup_dedupe does not exist");
    });
    add("test.waits", [](HandlerContext& c) {
      wait_for_stop(c);
      return nlohmann::json{{"stopped", c.stop_requested()}};
    });
    add("test.when", [](HandlerContext& c) {
      using Steady = std::chrono::steady_clock;
      return nlohmann::json{
          {"slot", c.slot ? nlohmann::json(maintd::format_utc(
                                std::chrono::floor<std::chrono::seconds>(*c.slot)))
                          : nlohmann::json(nullptr)},
          {"deadline_in_ms", c.deadline ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                              *c.deadline - Steady::now())
                                              .count()
                                        : -1}};
    });
    // The real http.request, for what the daemon's log shows of it.
    static const auto builtin = maintd::handlers::builtin_registry();
    registry->add_handler(*builtin.resolve("http.request").value().handler);
    add("test.target", [](HandlerContext& c) {
      auto sql = c.database("app");
      int answer = 0;
      *sql << "SELECT 6 * 7", soci::into(answer);
      return nlohmann::json{{"answer", answer}};
    });
    config.registry = registry;
    config.state_database =
        *maintd::connection::parse_database_url("sqlite3://state.db", std::nullopt, dir.path());
    config.databases["app"] =
        *maintd::connection::parse_database_url("sqlite3://app.db", std::nullopt, dir.path());
    database = maintd::store::Database::open(config.state_database);
    maintd::store::migrate(*database);
    runs = std::make_unique<maintd::store::RunStore>(database, maintd::store::system_clock());
    journal = std::make_unique<maintd::store::RunJournal>(database, maintd::store::system_clock());
    settings.worker = {"test-instance", "testhost", 4242};
    settings.heartbeat_interval = 20ms;
  }

  RunRequest request(const std::string& type, std::chrono::milliseconds timeout = 10s) {
    maintd::store::NewRun run;
    run.task_name = "t-" + type;
    run.task_type = type;
    const auto id = runs->create_run(run);
    return RunRequest{id, run.task_name, type, nlohmann::json::object(), false, timeout, {}};
  }

  std::vector<std::string> event_names(maintd::store::RunId id) {
    std::vector<std::string> names;
    for (const auto& e : runs->events(id)) names.push_back(e.event);
    return names;
  }
};

}  // namespace

TEST_CASE("a handler that returns completes the run with its result and events") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  auto request = f.request("test.ok");
  request.dry_run = true;
  std::vector<maintd::registry::Progress> progress;
  maintd::scheduler::RunObserver observer;
  observer.on_progress = [&](const auto& p) { progress.push_back(p); };
  const auto outcome = executor.execute(request, {}, observer);

  CHECK(outcome.status == RunStatus::completed);
  CHECK(outcome.result == nlohmann::json{{"released", 3}, {"dry_run", true}});
  const auto run = f.runs->get(request.id);
  REQUIRE(run);
  CHECK(run->status == RunStatus::completed);
  CHECK(run->result == outcome.result);
  CHECK(run->host == "testhost");
  CHECK(run->pid == 4242);
  CHECK(run->started_at);
  CHECK(run->finished_at);
  CHECK(f.event_names(request.id) == std::vector<std::string>{"start", "work", "complete"});
  CHECK(f.runs->events(request.id).front().message.find("dry run") != std::string::npos);
  REQUIRE(progress.size() == 1);
  CHECK(progress[0].done == 5);
}

TEST_CASE("a handler that throws fails the run with the exception's message") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.throws");
  const auto outcome = executor.execute(request, {});
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error == "table soup_dedupe does not exist");
  const auto run = f.runs->get(request.id);
  CHECK(run->status == RunStatus::failed);
  CHECK(run->error == "table soup_dedupe does not exist");
  const auto events = f.runs->events(request.id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].level == "error");
  CHECK(events[1].event == "failed");
  CHECK(events[1].message.find("table soup_dedupe does not exist") != std::string::npos);
}

TEST_CASE("the timeout cancels the handler and records timed_out") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.waits", 100ms);
  const auto outcome = executor.execute(request, {});
  CHECK(outcome.status == RunStatus::timed_out);
  CHECK(outcome.error == "timed out after 100ms");
  CHECK(outcome.result == nlohmann::json{{"stopped", true}});  // partial results are kept
  CHECK(f.runs->get(request.id)->status == RunStatus::timed_out);
  const auto names = f.event_names(request.id);
  CHECK(names == std::vector<std::string>{"start", "timeout", "timed_out"});
}

TEST_CASE("the caller's stop token cancels the run") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.waits");
  std::stop_source cancel;
  std::jthread canceller([&] {
    // Cancel once the run is visibly running, as Ctrl-C would.
    while (f.runs->get(request.id)->status != RunStatus::running) std::this_thread::yield();
    cancel.request_stop();
  });
  const auto outcome = executor.execute(request, cancel.get_token());
  CHECK(outcome.status == RunStatus::cancelled);
  CHECK(f.runs->get(request.id)->status == RunStatus::cancelled);
  CHECK(f.runs->get(request.id)->error == "cancelled before the handler finished");
}

TEST_CASE("an operator cancelling the row stops the handler at the next heartbeat") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.waits");
  std::jthread operator_thread([&] {
    while (f.runs->get(request.id)->status != RunStatus::running) std::this_thread::yield();
    CHECK(f.runs->transition(request.id, RunStatus::running, RunStatus::cancelled,
                             "cancelled by an operator"));
  });
  const auto outcome = executor.execute(request, {});
  CHECK(outcome.status == RunStatus::cancelled);
  // The operator's reason stays: the executor's finish lost the race and reports the row.
  CHECK(f.runs->get(request.id)->error == "cancelled by an operator");
}

TEST_CASE("heartbeats are renewed while the handler works") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.waits", 300ms);
  std::optional<maintd::store::Timestamp> first, later;
  std::jthread watcher([&] {
    while (!first) {
      first = f.runs->get(request.id)->heartbeat_at;
      std::this_thread::yield();
    }
    // Heartbeats come every 20 ms: within the 300 ms run one must move heartbeat_at on.
    for (int i = 0; i < 100 && (!later || *later == *first); ++i) {
      std::this_thread::sleep_for(5ms);
      later = f.runs->get(request.id)->heartbeat_at;
    }
  });
  executor.execute(request, {});
  watcher.join();
  REQUIRE(first);
  REQUIRE(later);
  CHECK(*later > *first);
}

TEST_CASE("a run that is not pending is not executed again") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.ok");
  CHECK(executor.execute(request, {}).status == RunStatus::completed);
  const auto again = executor.execute(request, {});
  CHECK(again.status == RunStatus::completed);  // what the row says; the handler did not run
  CHECK(f.event_names(request.id).size() == 3);
}

TEST_CASE("handlers reach target databases by name") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto request = f.request("test.target");
  const auto outcome = executor.execute(request, {});
  CHECK(outcome.status == RunStatus::completed);
  CHECK(outcome.result == nlohmann::json{{"answer", 42}});
}

TEST_CASE("an undeclared target database fails the run naming it") {
  Fixture f;
  f.config.databases.clear();
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  const auto outcome = executor.execute(f.request("test.target"), {});
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error == "no database named 'app' is declared under 'databases:'");
}

TEST_CASE(
    "a handler sees its slot (none for a manual run) and the deadline of the task's timeout") {
  Fixture f;
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  auto request = f.request("test.when", 1h);
  request.slot = maintd::Instant(std::chrono::seconds(1795550400));  // 2026-11-24T20:00:00Z
  auto outcome = executor.execute(request, {});
  CHECK(outcome.result["slot"] == "2026-11-24T20:00:00Z");
  // An hour from the start, give or take the time it took to get there.
  CHECK(outcome.result["deadline_in_ms"].get<long long>() > 3'500'000);
  CHECK(outcome.result["deadline_in_ms"].get<long long>() <= 3'600'000);
  outcome = executor.execute(f.request("test.when"), {});
  CHECK(outcome.result["slot"].is_null());
}

TEST_CASE("an http.request run's lines in the daemon's log hold no secret") {
  maintd::testing::CapturedLog log;
  maintd::testing::TestHttpServer server(
      maintd::testing::TestHttpServer::Tls::none,
      [](const maintd::testing::TestRequest&, std::size_t) {
        return maintd::testing::TestReply{500, {{"Retry-After", "0"}}, "echo tok-s3cret"};
      });
  Fixture f;
  f.settings.log_events = true;  // as the daemon does
  RunExecutor executor(*f.runs, *f.journal, f.config, f.settings);
  auto request = f.request("http.request");
  request.config = {
      {"url", "http://u:pa55word@127.0.0.1:" + std::to_string(server.port()) + "/x?token=q-s3cret"},
      {"method", "POST"},
      {"bearer_token", "tok-s3cret"},
      {"headers", {{"Cookie", "c00kie-s3cret"}}},
      {"attempts", 2},
      {"timeout", "30s"},
      {"max_response_bytes", 1024},
      {"expect_status", nlohmann::json::array()}};
  const auto outcome = executor.execute(request, {});
  CHECK(outcome.status == RunStatus::failed);
  REQUIRE(server.requests().size() == 2);
  const auto text = log.all() + outcome.error;
  CHECK(text.find("retry: attempt 1 of 2: HTTP 500 Internal Server Error") != std::string::npos);
  for (const char* secret : {"pa55word", "q-s3cret", "tok-s3cret", "c00kie-s3cret"}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}
