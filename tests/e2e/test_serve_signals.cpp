// Signals to a running `maintd serve`: SIGHUP re-reads the schedule files (a new task fires; a
// bad file is logged with its position and the previous tasks keep running), SIGTERM stops
// firing, gives running handlers the grace period, then cancels them, and exits 0.
#include <doctest/doctest.h>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"

using namespace maintd::e2e;

namespace {

std::size_t completed_after(const std::vector<RunRecord>& runs, maintd::Instant after) {
  std::size_t n = 0;
  for (const auto& run : runs) {
    n += run.status == RunStatus::completed && run.scheduled_for && *run.scheduled_for > after;
  }
  return n;
}

maintd::Instant now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

TEST_CASE("SIGHUP reloads the schedules, and after a bad file the previous tasks keep running") {
  Workspace ws(R"(tasks:
  - {name: first, type: debug.noop, schedule: "* * * * * *"}
)");
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());
  INFO("daemon output:\n" << daemon->output());

  REQUIRE(eventually(10s,
                     [&] { return count_status(state.runs("first"), RunStatus::completed) >= 1; }));

  // A task added to the file fires after SIGHUP, on its own slots.
  write_atomically(ws.tasks, R"(tasks:
  - {name: first, type: debug.noop, schedule: "* * * * * *"}
  - {name: second, type: debug.noop, schedule: "* * * * * *"}
)");
  const auto reloaded_at = now_seconds();
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_output("reloaded: 2 tasks", 10s));
  REQUIRE(eventually(10s, [&] { return completed_after(state.runs("second"), reloaded_at) >= 2; }));
  for (const auto& run : state.runs("second")) {
    CAPTURE(run.id);
    CHECK(run.trigger == Trigger::schedule);  // no catch-up of slots before the task existed
    CHECK(*run.scheduled_for >= reloaded_at);
  }

  // A bad file: every error with its position, and both tasks keep firing.
  write_atomically(ws.tasks, R"(tasks:
  - {name: first, type: debug.noop, schedule: "* * * * * *"}
  - name: second
    type: debug.noop
    schedule: "* * * * * *"
    concurency: allow
  - {name: third, type: debug.noop, schedule: "* * * * * *"}
)");
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_output("the previous tasks keep running", 10s));
  const auto failed_at = now_seconds();
  const std::string log = daemon->output();
  CHECK(log.find("tasks.yaml:6:5: unknown key 'concurency' (did you mean 'concurrency'?)") !=
        std::string::npos);
  CHECK(log.find("reload: 1 error(s)") != std::string::npos);
  REQUIRE(eventually(10s, [&] {
    return completed_after(state.runs("first"), failed_at) >= 3 &&
           completed_after(state.runs("second"), failed_at) >= 3;
  }));
  CHECK(daemon->alive());
  CHECK(state.runs("third").empty());  // the bad file was not half-applied

  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
}

TEST_CASE("SIGTERM waits shutdown_grace for running handlers, then cancels them, and exits 0") {
  Settings settings;
  settings.shutdown_grace = "4s";
  Workspace ws(R"(tasks:
  - {name: slow, type: debug.noop, schedule: "*/2 * * * * *", config: {sleep: 30s}}
  - {name: quick, type: debug.noop, schedule: "*/2 * * * * *", config: {sleep: 2s}}
)",
               settings);
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());
  INFO("daemon output:\n" << daemon->output());

  // Both handlers at work on the same slot.
  std::optional<RunRecord> slow, quick;
  REQUIRE(eventually(10s, [&] {
    const auto s = state.runs("slow"), q = state.runs("quick");
    if (s.empty() || q.empty()) return false;
    slow = s.back();
    quick = q.back();
    return slow->status == RunStatus::running && quick->status == RunStatus::running &&
           slow->scheduled_for == quick->scheduled_for;
  }));

  const auto sent = Steady::now();
  daemon->signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  const auto took = Steady::now() - sent;
  INFO("runs:\n" << describe_runs(state.runs()));
  CHECK(describe_status(status) == "exit 0");
  // It waited out the grace period for `slow`, and did not wait much longer.
  CHECK(took >= 3500ms);
  CHECK(took < 4s + 3s);

  const auto slow_after = state.get(slow->id);
  const auto quick_after = state.get(quick->id);
  REQUIRE(slow_after.has_value());
  REQUIRE(quick_after.has_value());
  CHECK(to_string(slow_after->status) == std::string("cancelled"));
  CHECK(slow_after->finished_at.has_value());
  CHECK(to_string(quick_after->status) == std::string("completed"));  // finished within the grace

  // Nothing fired after SIGTERM, and nothing is left running.
  for (const auto& run : state.runs()) {
    CAPTURE(run.id);
    CHECK(run.status != RunStatus::running);
    CHECK(run.status != RunStatus::pending);
  }
  const std::string log = daemon->output();
  CHECK(log.find("SIGTERM: stopping") != std::string::npos);
  CHECK(log.find("maintd stopped") != std::string::npos);
}

// Regression (issue 17): SIGHUP removed a task while its run was in flight; the run failed with
// a retry left, and when the retry came due the daemon died ("terminate called after throwing
// an instance of 'std::logic_error' what(): firing for an unknown task flaky", exit 134).
TEST_CASE(
    "SIGHUP removes a task whose run is in flight: its failure plans no retry, maintd goes on") {
  Workspace ws("");
  const auto gate = ws.dir.path() / "gate";
  const std::string steady = "  - {name: steady, type: debug.noop, schedule: \"* * * * * *\"}\n";
  write_atomically(ws.tasks, "tasks:\n" + steady +
                                 "  - name: flaky\n"
                                 "    type: command.exec\n"
                                 "    schedule: \"* * * * * *\"\n"
                                 "    retries: 2\n"
                                 "    retry_backoff: 1s\n"
                                 "    config:\n"
                                 "      shell: true\n"
                                 "      command: while [ ! -e '" +
                                 gate.string() + "' ]; do sleep 0.05; done; exit 1\n");
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());
  INFO("daemon output:\n" << daemon->output());
  REQUIRE(
      eventually(10s, [&] { return count_status(state.runs("flaky"), RunStatus::running) == 1; }));

  write_atomically(ws.tasks, "tasks:\n" + steady);
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_output("reloaded: 1 task", 10s));
  write_atomically(gate, "");
  REQUIRE(daemon->wait_output("no retry: the task was removed or disabled while it ran", 10s));
  // Past the second the retry would have come due, the loop still fires the other task.
  const auto failed_at = now_seconds();
  REQUIRE(
      eventually(10s, [&] { return completed_after(state.runs("steady"), failed_at + 2s) >= 1; }));
  CHECK(daemon->alive());
  CHECK(count_status(state.runs("flaky"), RunStatus::failed) == 1);
  for (const auto& run : state.runs("flaky")) {
    CAPTURE(run.id);
    CHECK(run.trigger != Trigger::retry);  // the slots it overlapped are recorded skipped
    CHECK((run.status == RunStatus::failed || run.status == RunStatus::skipped));
  }

  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
}
