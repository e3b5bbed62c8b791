// pause_after_failures against a real state database on both backends, with the hand-moved
// clock: the task is switched off at the Nth failure in a row (its enable override, as `maintd
// task disable` sets it), once however many instances decide it, with an event and an alert;
// enabling it again (or a success) starts the count afresh; `maintd status` finds it.
#include <doctest/doctest.h>

#include "scheduler/failure_pause.hpp"
#include "store/task_override.hpp"
#include "support/config_state.hpp"

namespace {

using maintd::Instant;
using maintd::scheduler::Alert;
using maintd::scheduler::FailurePause;
using maintd::scheduler::paused_by_failures;
using maintd::scheduler::RunOutcome;
using maintd::store::RunStatus;
using maintd::store::Trigger;
using maintd::testing::ConfigState;
using maintd::testing::table_of;
using namespace std::chrono_literals;

constexpr const char* kFlaky =
    "tasks:\n"
    "  - name: flaky\n"
    "    type: debug.noop\n"
    "    schedule: \"@every 1m\"\n"
    "    pause_after_failures: 3\n"
    "  - {name: steady, type: debug.noop, schedule: \"@every 1m\"}\n";

template <class Backend>
struct PauseFixture {
  ConfigState<Backend> env;
  std::shared_ptr<maintd::store::TaskTable> table;
  std::unique_ptr<maintd::store::RunStore> runs;
  std::vector<Alert> alerts;
  int reloads = 0;

  PauseFixture() {
    env.schedule("a.yaml", kFlaky);
    env.sync();
    table = table_of(env.db());
    runs = std::make_unique<maintd::store::RunStore>(env.database, env.clock.clock());
  }

  // One instance's decision-maker (several may share the state database).
  FailurePause instance() {
    return FailurePause(
        *runs, FailurePause::Options{.table = [this] { return table; },
                                     .now = [] { return Instant{}; },
                                     .clock = env.clock.clock(),
                                     .raise = [this](Alert alert) { alerts.push_back(alert); },
                                     .tasks_changed = [this] { ++reloads; }});
  }

  // A run of `task` a minute after the last, ended with `status`.
  RunOutcome run(const std::string& task, RunStatus status, int attempt = 1) {
    env.clock.advance(1min);
    maintd::store::NewRun run;
    run.task_name = task;
    run.task_type = "debug.noop";
    run.trigger = attempt > 1 ? Trigger::retry : Trigger::manual;
    run.attempt = attempt;
    const auto id = runs->create_run(run);
    REQUIRE(runs->start(id, {"instance-a", "host", 1}));
    const std::string error = status == RunStatus::completed ? "" : "it broke";
    REQUIRE(runs->finish(id, status, nullptr, error));
    RunOutcome outcome;
    outcome.id = id;
    outcome.status = status;
    outcome.error = error;
    return outcome;
  }

  const maintd::config::Task& task(maintd::tasks::TaskSet& set, const std::string& name) {
    const auto* found = set.find(name);
    REQUIRE(found != nullptr);
    return *found;
  }

  std::vector<std::string> events(maintd::store::RunId id) {
    std::vector<std::string> out;
    for (const auto& e : runs->events(id)) out.push_back(e.event);
    return out;
  }

  void enable(const std::string& name) {
    env.clock.advance(1s);
    REQUIRE(maintd::store::set_enabled_override(*table, name, true, env.clock.clock()));
  }
};

}  // namespace

TEST_CASE_TEMPLATE("pause_after_failures: the third failure in a row switches the task off once",
                   Backend, MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  auto set = f.env.tasks();
  const auto& flaky = f.task(set, "flaky");
  REQUIRE(flaky.policies.pause_after_failures == 3);
  FailurePause pause = f.instance();

  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::timed_out)));
  CHECK(f.env.column("flaky", "enabled_override") == "NULL");
  const RunOutcome third = f.run("flaky", RunStatus::failed);
  CHECK(pause.after_last_attempt(flaky, third));

  // Off through the override `maintd task disable` sets; the other task untouched.
  CHECK(f.env.column("flaky", "enabled_override") == "0");
  CHECK(f.env.column("flaky", "enabled") == "0");
  CHECK(f.env.column("steady", "enabled_override") == "NULL");
  auto after = f.env.tasks();
  CHECK_FALSE(f.task(after, "flaky").enabled);
  // Said on the run, to the alerts, and the daemon asked to re-read its tasks.
  CHECK(f.events(third.id) == std::vector<std::string>{"paused"});
  REQUIRE(f.alerts.size() == 1);
  CHECK(f.alerts[0].kind == Alert::Kind::paused);
  CHECK(f.alerts[0].task == "flaky");
  CHECK(f.alerts[0].run == third.id);
  CHECK(f.alerts[0].message ==
        "paused after 3 consecutive failed or timed-out runs (pause_after_failures: 3): the task "
        "is disabled until 'maintd task enable flaky'; last error: it broke");
  CHECK(f.reloads == 1);

  // Another instance reaching the same decision (or this one again) changes nothing more.
  FailurePause other = f.instance();
  CHECK_FALSE(other.after_last_attempt(flaky, third));
  CHECK_FALSE(pause.after_last_attempt(flaky, third));
  CHECK(f.alerts.size() == 1);
  CHECK(f.events(third.id) == std::vector<std::string>{"paused"});

  // `maintd status` finds it, with the run and the message.
  auto paused_set = f.env.tasks();
  const auto paused = paused_by_failures(*f.runs, paused_set);
  REQUIRE(paused.size() == 1);
  CHECK(paused[0].task == "flaky");
  CHECK(paused[0].run == third.id);
  CHECK(paused[0].message == f.alerts[0].message);
}

TEST_CASE_TEMPLATE("pause_after_failures: enabling the task again resets the count", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  auto set = f.env.tasks();
  const auto& flaky = f.task(set, "flaky");
  FailurePause pause = f.instance();
  for (int i = 0; i < 2; ++i) pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed));
  REQUIRE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));

  f.enable("flaky");
  auto enabled_set = f.env.tasks();
  CHECK(f.task(enabled_set, "flaky").enabled);
  CHECK(paused_by_failures(*f.runs, enabled_set).empty());  // on again: no status line
  // The three failures before the enable no longer count: two more are not enough.
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  CHECK(f.env.column("flaky", "enabled_override") == "1");
  CHECK(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  CHECK(f.env.column("flaky", "enabled_override") == "0");
  CHECK(f.alerts.size() == 2);
}

TEST_CASE_TEMPLATE("pause_after_failures: a success, and a slot's retries, keep the count low",
                   Backend, MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  auto set = f.env.tasks();
  const auto& flaky = f.task(set, "flaky");
  FailurePause pause = f.instance();
  pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed));
  pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed));
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::completed)));
  // One slot failing on its three attempts is one failure; the streak is now 1, then 2.
  f.run("flaky", RunStatus::failed, 1);
  f.run("flaky", RunStatus::failed, 2);
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed, 3)));
  CHECK_FALSE(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  // Skipped and cancelled runs are no verdict either way.
  f.run("flaky", RunStatus::cancelled);
  CHECK(pause.after_last_attempt(flaky, f.run("flaky", RunStatus::failed)));
  CHECK(f.alerts.size() == 1);
  CHECK(f.alerts[0].message.find("after 3 consecutive") != std::string::npos);
}

TEST_CASE_TEMPLATE("pause_after_failures: a task without the setting is never paused", Backend,
                   MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  auto set = f.env.tasks();
  const auto& steady = f.task(set, "steady");
  REQUIRE(steady.policies.pause_after_failures == 0);
  FailurePause pause = f.instance();
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(pause.after_last_attempt(steady, f.run("steady", RunStatus::failed)));
  }
  CHECK(f.env.column("steady", "enabled_override") == "NULL");
  CHECK(f.alerts.empty());
  CHECK(f.reloads == 0);
}

TEST_CASE_TEMPLATE("store: a task is switched off only while it reads as when it was counted",
                   Backend, MAINTD_BACKENDS) {
  PauseFixture<Backend> f;
  auto& table = *f.table;
  const auto counted = maintd::store::read_task_change(table, "flaky");
  REQUIRE(counted.found);
  REQUIRE(counted.changed_at.has_value());
  // Someone disables and enables it meanwhile: the count is stale, nothing is written.
  f.env.clock.advance(1s);
  REQUIRE(maintd::store::set_enabled_override(table, "flaky", false, f.env.clock.clock()));
  f.enable("flaky");
  CHECK_FALSE(maintd::store::disable_task_if_unchanged(table, "flaky", counted.changed_at,
                                                       f.env.clock.clock()));
  CHECK(f.env.column("flaky", "enabled_override") == "1");
  // Read afresh, the switch works once; a second time it finds the task off already.
  const auto fresh = maintd::store::read_task_change(table, "flaky");
  CHECK(fresh.changed_at != counted.changed_at);
  CHECK(maintd::store::disable_task_if_unchanged(table, "flaky", fresh.changed_at,
                                                 f.env.clock.clock()));
  CHECK(f.env.column("flaky", "enabled_override") == "0");
  CHECK_FALSE(maintd::store::disable_task_if_unchanged(
      table, "flaky", maintd::store::read_task_change(table, "flaky").changed_at,
      f.env.clock.clock()));
  // A task that does not exist.
  CHECK_FALSE(maintd::store::read_task_change(table, "nope").found);
  CHECK_FALSE(
      maintd::store::disable_task_if_unchanged(table, "nope", std::nullopt, f.env.clock.clock()));
}
