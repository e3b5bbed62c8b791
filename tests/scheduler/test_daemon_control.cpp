// The daemon's operations for the admin API (run_now, cancel_run, tasks_changed), its
// expect_success_within check and its metrics, against a real SQLite state database with an
// injected clock.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

#include "scheduler/daemon_fixture.hpp"
#include "scheduler/task_factory.hpp"
#include "support/files.hpp"

using maintd::Instant;
using maintd::scheduler::CancelOutcome;
using maintd::scheduler::RunNowRefusal;
using maintd::scheduler::RunNowRequest;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::at;
using maintd::testing::DaemonFixture;
using maintd::testing::make_task;
using namespace std::chrono_literals;

namespace {

// Records a completed run of `task` that finished at `finished` (the clock of the store).
void record_success(DaemonFixture& f, const std::string& task, const std::string& finished) {
  const auto when = maintd::store::parse_timestamp(finished).value();
  maintd::store::RunStore store(f.open(), [when] { return when; });
  maintd::store::NewRun run;
  run.task_name = task;
  run.task_type = "debug.noop";
  const auto id = store.create_run(run);
  REQUIRE(store.start(id, {"test", "host", 1}));
  REQUIRE(store.finish(id, RunStatus::completed, nlohmann::json::object(), ""));
}

}  // namespace

TEST_CASE("run_now records a manual run with its overrides and dry run, and runs it") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "0 3 * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  const auto id = daemon->run_now({.task = "t", .dry_run = true, .overrides = {{"sleep", "0s"}}});
  REQUIRE(id.has_value());
  f.wait_status(id.value(), RunStatus::completed);
  const auto runs = f.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].id == id.value());
  CHECK(runs[0].trigger == Trigger::manual);
  CHECK(runs[0].dry_run);
  CHECK_FALSE(runs[0].scheduled_for.has_value());
  CHECK(runs[0].config.at("sleep") == "0s");
  CHECK(runs[0].result.at("dry_run") == true);
}

TEST_CASE("run_now refuses an unknown task and bad overrides, recording nothing") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "0 3 * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);

  const auto unknown = daemon->run_now({.task = "nope"});
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().reason == RunNowRefusal::Reason::unknown_task);
  CHECK(unknown.error().message == "there is no task 'nope'");

  const auto bad = daemon->run_now({.task = "t", .overrides = {{"sleep", "soon"}, {"what", 1}}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().reason == RunNowRefusal::Reason::invalid_config);
  REQUIRE(bad.error().errors.size() == 2);
  std::string all;
  for (const auto& error : bad.error().errors) all += error + "\n";
  CHECK(all.find("config sleep:") != std::string::npos);
  CHECK(all.find("what") != std::string::npos);
  CHECK(f.runs().empty());
}

TEST_CASE("run_now on a forbid task refuses while a run is in progress, naming it") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow", .schedule = "0 3 * * *", .type = "test.block"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  const auto first = daemon->run_now({.task = "slow"});
  REQUIRE(first.has_value());
  const auto second = daemon->run_now({.task = "slow"});
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().reason == RunNowRefusal::Reason::busy);
  CHECK(second.error().running == first.value());
  CHECK(second.error().message.find(fmt::format("previous run {} still", first.value())) == 0);
  CHECK(f.runs().size() == 1);

  // Cancelled, the task may run again.
  const auto cancel = daemon->cancel_run(first.value());
  CHECK(cancel.result == CancelOutcome::Result::cancelled);
  f.wait_status(first.value(), RunStatus::cancelled);
  REQUIRE(daemon->wait_idle(10s));
  const auto third = daemon->run_now({.task = "slow"});
  REQUIRE(third.has_value());
  daemon->cancel_running();
  REQUIRE(daemon->wait_idle(10s));
  CHECK(f.runs().size() == 2);
}

TEST_CASE("a manual run that fails is not retried") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "f", .schedule = "0 3 * * *", .type = "test.fail", .retries = 3})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  const auto id = daemon->run_now({.task = "f"});
  REQUIRE(id.has_value());
  f.wait_status(id.value(), RunStatus::failed);
  REQUIRE(daemon->wait_idle(10s));
  CHECK(f.runs().size() == 1);
  CHECK(daemon->next_wake() == at("2026-01-01T03:00:00Z"));  // no retry planned
}

TEST_CASE("cancel_run: another process's run, a finished run, an unknown run") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "0 3 * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  maintd::store::RunStore store(f.open(), maintd::store::system_clock());
  maintd::store::NewRun run;
  run.task_name = "t";
  run.task_type = "debug.noop";
  const auto elsewhere = store.create_run(run);
  REQUIRE(store.start(elsewhere, {"other-instance", "other-host", 42}));

  const auto cancelled = daemon->cancel_run(elsewhere);
  CHECK(cancelled.result == CancelOutcome::Result::cancelled);
  const auto row = store.get(elsewhere);
  CHECK(row->status == RunStatus::cancelled);
  CHECK(row->error == "cancelled by an operator");

  const auto again = daemon->cancel_run(elsewhere);
  CHECK(again.result == CancelOutcome::Result::finished);
  CHECK(again.status == RunStatus::cancelled);
  CHECK(daemon->cancel_run(999999).result == CancelOutcome::Result::not_found);
}

TEST_CASE("expect_success_within: overdue after the window, from the last success or first sight") {
  DaemonFixture f;
  f.now = at("2026-01-01T00:00:00Z");
  f.tasks = {make_task({.name = "watched",
                        .schedule = "0 3 * * *",
                        .expect_success_within = std::chrono::hours(2)}),
             make_task({.name = "unwatched", .schedule = "0 3 * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);

  daemon->check_overdue(at("2026-01-01T02:00:00Z"));  // exactly the window: not yet
  CHECK(daemon->overdue().empty());

  daemon->check_overdue(at("2026-01-01T02:00:01Z"));  // never succeeded since first seen
  auto overdue = daemon->overdue();
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].task == "watched");
  CHECK(overdue[0].expected == std::chrono::hours(2));
  CHECK_FALSE(overdue[0].last_success.has_value());
  CHECK(overdue[0].since == at("2026-01-01T00:00:00Z"));
  CHECK(daemon->scrape().overdue == std::vector<std::string>{"watched"});

  record_success(f, "watched", "2026-01-01T02:30:00.000Z");
  daemon->check_overdue(at("2026-01-01T03:00:00Z"));  // recovered
  CHECK(daemon->overdue().empty());

  daemon->check_overdue(at("2026-01-01T04:30:01Z"));  // two hours after that success
  overdue = daemon->overdue();
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].last_success == maintd::store::parse_timestamp("2026-01-01T02:30:00.000Z"));
  CHECK(overdue[0].since == at("2026-01-01T02:30:00Z"));
}

TEST_CASE("a disabled task is never overdue") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "off",
                        .schedule = "0 3 * * *",
                        .enabled = false,
                        .expect_success_within = std::chrono::minutes(1)})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->check_overdue(f.now + std::chrono::hours(24));
  CHECK(daemon->overdue().empty());
}

TEST_CASE("metrics count the runs this instance ran, by task and outcome") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "ok", .schedule = "0 3 * * *"}),
             make_task({.name = "bad", .schedule = "0 3 * * *", .type = "test.fail"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  REQUIRE(daemon->run_now({.task = "ok"}).has_value());
  REQUIRE(daemon->run_now({.task = "bad"}).has_value());
  REQUIRE(daemon->wait_idle(10s));
  const std::string text = daemon->metrics().render(daemon->scrape());
  CHECK(text.find("maintd_runs_total{task=\"ok\",status=\"completed\"} 1\n") != std::string::npos);
  CHECK(text.find("maintd_runs_total{task=\"bad\",status=\"failed\"} 1\n") != std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_count{task=\"ok\"} 1\n") != std::string::npos);
  CHECK(text.find("maintd_tasks 2\n") != std::string::npos);
  CHECK(text.find("maintd_tasks_enabled 2\n") != std::string::npos);
  CHECK(text.find("maintd_last_success_timestamp_seconds{task=\"ok\"} ") != std::string::npos);
  CHECK(text.find("maintd_last_success_timestamp_seconds{task=\"bad\"}") == std::string::npos);
}

TEST_CASE("metrics: slot lateness is observed for scheduled runs, not for manual ones") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "t", .schedule = "* * * * *"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  REQUIRE(daemon->run_now({.task = "t"}).has_value());
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->metrics().render(daemon->scrape()).find("maintd_slot_lateness_seconds_count 0\n") !=
        std::string::npos);
  daemon->tick(at("2026-01-01T00:01:00Z"));
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->metrics().render(daemon->scrape()).find("maintd_slot_lateness_seconds_count 1\n") !=
        std::string::npos);
}

TEST_CASE("alerts: a failure alerts once its retries are used up, not at each attempt") {
  DaemonFixture f;
  const auto received = f.dir.path() / "alerts.jsonl";
  f.config->notify.command = {
      "/bin/sh", "-c", "cat >> '" + received.string() + "'; echo >> '" + received.string() + "'"};
  f.config->notify.min_interval = 0s;
  f.tasks = {make_task({.name = "flaky",
                        .schedule = "0 * * * *",
                        .type = "test.fail",
                        .retries = 1,
                        .retry_backoff = 10s})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T01:00:00Z"));  // attempt 1 fails: a retry follows, no alert
  REQUIRE(daemon->wait_idle(10s));
  daemon->tick(at("2026-01-01T01:00:10Z"));  // attempt 2 fails: the last one
  REQUIRE(daemon->wait_idle(10s));
  REQUIRE(f.runs().size() == 2);
  const bool delivered = maintd::testing::eventually(
      10s, [&] { return maintd::testing::read_text(received).find("flaky") != std::string::npos; });
  REQUIRE(delivered);
  daemon.reset();  // waits for deliveries in progress
  std::istringstream lines(maintd::testing::read_text(received));
  std::vector<nlohmann::json> alerts;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) alerts.push_back(nlohmann::json::parse(line));
  }
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].at("kind") == "failed");
  CHECK(alerts[0].at("task") == "flaky");
  CHECK(alerts[0].at("run_id") == f.runs()[1].id);
  CHECK(alerts[0].at("message") == "it broke");
}

// Found auditing the throws a worker can meet (issue 17): a failure whose message is not UTF-8
// (a program's Latin-1 output, a database error quoting a row) made the alert's JSON throw in
// the worker thread, which ended the process; on PostgreSQL it also lost the run's record.
TEST_CASE(
    "a run failing with a message that is not UTF-8 is recorded, alerted, and the daemon goes on") {
  DaemonFixture f;
  const auto received = f.dir.path() / "alerts.jsonl";
  f.config->notify.command = {"/bin/sh", "-c", "cat >> '" + received.string() + "'"};
  auto registry = std::make_shared<maintd::registry::Registry>(*f.config->registry);
  registry->add_handler({"test.latin1",
                         "fails in Latin-1",
                         {},
                         [](maintd::registry::HandlerContext& context) -> nlohmann::json {
                           context.info("output", "caf\xE9 cr\xE8me");
                           throw std::runtime_error("no row for caf\xE9");
                         }});
  f.config->registry = registry;
  f.tasks = {make_task({.name = "latin", .schedule = "0 * * * *", .type = "test.latin1"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  daemon->tick(at("2026-01-01T01:00:00Z"));
  REQUIRE(daemon->wait_idle(10s));
  const auto runs = f.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::failed);
  CHECK(runs[0].error.find("no row for caf\xEF\xBF\xBD") != std::string::npos);
  const auto events = f.events(runs[0].id);
  CHECK(std::find(events.begin(), events.end(), "output: caf\xEF\xBF\xBD cr\xEF\xBF\xBDme") !=
        events.end());
  REQUIRE(maintd::testing::eventually(10s, [&] {
    return maintd::testing::read_text(received).find("no row for caf") != std::string::npos;
  }));
  daemon->tick(at("2026-01-01T02:00:00Z"));  // the loop goes on
  REQUIRE(daemon->wait_idle(10s));
  CHECK(f.runs().size() == 2);
}

// Regression (issue 17, a flaky API test): a second cancel of this instance's own run, once its
// end was recorded but before its worker let go of it, answered "cancelled" again instead of
// "finished". Asked at each point of that window, the answer follows the row.
TEST_CASE(
    "cancel_run of an own run asked twice: cancelled while it stops, finished once recorded") {
  DaemonFixture f;
  f.tasks = {make_task({.name = "slow", .schedule = "0 3 * * *", .type = "test.block"})};
  auto daemon = f.daemon();
  daemon->start(f.now);
  const auto id = daemon->run_now({.task = "slow"}).value();
  f.wait_running(id);
  CHECK(daemon->cancel_run(id).result == CancelOutcome::Result::cancelled);
  f.wait_status(id, RunStatus::cancelled);
  // Recorded: whether or not the worker has let go of it yet, the run has ended.
  const auto again = daemon->cancel_run(id);
  CHECK(again.result == CancelOutcome::Result::finished);
  CHECK(again.status == RunStatus::cancelled);
  REQUIRE(daemon->wait_idle(10s));
  CHECK(daemon->cancel_run(id).result == CancelOutcome::Result::finished);
}
