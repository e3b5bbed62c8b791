// `kill -9` of a daemon in the middle of a run, and a restart: the orphaned run is marked
// abandoned once its lease expires, and the task's next slot fires again.
#include <doctest/doctest.h>

#include "e2e/crash_restart.hpp"
#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"

using namespace maintd::e2e;

namespace {

// The first run of `task` after run `after` that a handler actually started.
std::optional<RunRecord> started_after(StateReader& state, const std::string& task,
                                       maintd::store::RunId after) {
  for (const auto& run : state.runs(task)) {
    if (run.id > after && run.started_at && run.status != RunStatus::skipped) return run;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("kill -9 during a run, restart: the run becomes abandoned and the next slot fires") {
  Settings settings;  // heartbeat 1s, lease 3s
  Workspace ws(R"(tasks:
  - {name: slow, type: debug.noop, schedule: "*/2 * * * * *", config: {sleep: 20s}}
)",
               settings);
  StateReader state(ws.url());

  auto first = start_daemon(ws.config, ws.log("first.log"));
  const std::optional<RunRecord> orphan = kill_while_running(*first, state, "slow");
  CHECK(state.get(orphan->id)->status == RunStatus::running);  // nobody finished it

  auto second = start_daemon(ws.config, ws.log("second.log"));
  INFO("first daemon output:\n" << first->output());
  INFO("second daemon output:\n" << second->output());

  // Abandoned after the lease (3 s) by the new instance, using the database's clock.
  REQUIRE(eventually(15s, [&] { return state.get(orphan->id)->status == RunStatus::abandoned; }));
  const auto abandoned = state.get(orphan->id);
  CHECK(abandoned->error.find("lease expired") != std::string::npos);
  CHECK(second->output().find("run " + std::to_string(orphan->id) + ": abandoned") !=
        std::string::npos);

  // And the task fires again: a later slot is run, not skipped forever.
  std::optional<RunRecord> next;
  REQUIRE(eventually(10s, [&] {
    next = started_after(state, "slow", orphan->id);
    return next.has_value();
  }));
  INFO("runs:\n" << describe_runs(state.runs()));
  CHECK(*next->scheduled_for > *orphan->scheduled_for);
  CHECK(next->pid == second->pid());
  CHECK(next->pid != orphan->pid);
  // While the orphan still held its lease, its slots were skipped (concurrency: forbid), each
  // with the reason.
  for (const auto& run : state.runs("slow")) {
    if (run.status != RunStatus::skipped) continue;
    CAPTURE(run.id);
    CHECK(run.error.find("previous run") != std::string::npos);
  }

  second->signal(SIGTERM);
  CHECK(describe_status(second->wait_exit(15s)) == "exit 0");
}

// A run is claimed (inserted `pending`) before a worker starts it. With every worker busy, a
// claimed run waits in the pool's queue; when the daemon dies then, the row stays `pending`:
// no heartbeat, no instance, never abandoned (abandon_expired only looks at `running`), and with
// concurrency: forbid every later slot of the task was skipped "previous run N still pending",
// forever (regression: pending runs now hold a lease their claimer renews, and are abandoned
// like running ones when it dies).
TEST_CASE("kill -9 while a claimed run waits for a worker: the task is not blocked forever") {
  Settings settings;  // heartbeat 1s, lease 3s
  settings.workers = 1;
  Workspace ws(R"(tasks:
  - {name: hog, type: debug.noop, schedule: "*/2 * * * * *", config: {sleep: 20s}}
  - {name: victim, type: debug.noop, schedule: "*/2 * * * * *"}
)",
               settings);
  StateReader state(ws.url());

  auto first = start_daemon(ws.config, ws.log("first.log"));
  std::optional<RunRecord> waiting;
  REQUIRE(eventually(10s, [&] {
    const auto victim = state.runs("victim");
    if (victim.empty() || victim.back().status != RunStatus::pending) return false;
    if (count_status(state.runs("hog"), RunStatus::running) != 1) return false;
    waiting = victim.back();
    return true;
  }));
  first->kill();

  // Restarted with enough workers that nothing waits for one.
  Settings restart = settings;
  restart.workers = 4;
  const auto restart_config = ws.dir.write("maintd-restart.yaml", config_text(restart));
  auto second = start_daemon(restart_config, ws.log("second.log"));
  INFO("first daemon output:\n" << first->output());
  INFO("second daemon output:\n" << second->output());

  // The hog's orphan is abandoned after the lease; then the victim's slots must run again
  // (lease 3 s, so 12 s is plenty), not be skipped behind a run nobody will ever start.
  const bool fired =
      eventually(12s, [&] { return started_after(state, "victim", waiting->id).has_value(); });
  INFO("runs:\n" << describe_runs(state.runs()));
  CHECK(fired);
  const auto orphan = state.get(waiting->id);
  CHECK(orphan->status != RunStatus::pending);

  second->signal(SIGTERM);
  CHECK(describe_status(second->wait_exit(15s)) == "exit 0");
}

TEST_CASE("kill -9 during a forbid run, down past the lease: the restart runs the catch-up") {
  check_restart_after_lease_runs_the_catchup(Settings{});
}
