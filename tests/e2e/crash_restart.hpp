#pragma once
// A crash scenario run on both state databases (test_serve_crash.cpp, postgres/): kill -9 during
// a long run of a concurrency: forbid task, the daemon down past the lease, then a restart.
//
// Regression (issue 24): the restart planned the catch-up of the missed slots before it marked
// the orphaned run abandoned, so the catch-up run was recorded "skipped: previous run N still
// running" and, 14 ms later, run N abandoned: the missed slots never ran.
#include <doctest/doctest.h>

#include <thread>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"

namespace maintd::e2e {

// Waits until `task`'s latest run is running, then kills `daemon` with SIGKILL; the run it left.
inline RunRecord kill_while_running(Process& daemon, StateReader& state, const std::string& task) {
  std::optional<RunRecord> running;
  REQUIRE(eventually(10s, [&] {
    const auto runs = state.runs(task);
    if (runs.empty() || runs.back().status != RunStatus::running) return false;
    running = runs.back();
    return true;
  }));
  daemon.kill();
  return *running;
}

inline void check_restart_after_lease_runs_the_catchup(const Settings& settings) {
  Workspace ws(R"(tasks:
  - {name: slow, type: debug.noop, schedule: "*/2 * * * * *", catchup: 1m, config: {sleep: 20s}}
)",
               settings);
  StateReader state(ws.url(settings.state_database));

  auto first = start_daemon(ws.config, ws.log("first.log"));
  const std::optional<RunRecord> orphan = kill_while_running(*first, state, "slow");
  // Down past the lease (3 s): time itself is what the test needs to pass here, with no daemon
  // to watch; slots are missed meanwhile.
  std::this_thread::sleep_for(4500ms);

  auto second = start_daemon(ws.config, ws.log("second.log"));
  INFO("second daemon output:\n" << second->output());
  std::optional<RunRecord> catchup;
  // Past pending: the row is written before the run is claimed and its pid recorded (a race
  // this test lost under load when it looked at a pending row).
  REQUIRE(eventually(10s, [&] {
    catchup.reset();
    for (const auto& run : state.runs("slow")) {
      if (run.id > orphan->id && run.trigger == Trigger::catchup) catchup = run;
    }
    return catchup.has_value() && catchup->status != RunStatus::pending;
  }));
  INFO("runs:\n" << describe_runs(state.runs("slow")));
  CHECK(state.get(orphan->id)->status == RunStatus::abandoned);
  // The missed slots' catch-up ran: it was not skipped for the dead run.
  CHECK(catchup->status != RunStatus::skipped);
  CHECK(catchup->error.find("previous run " + std::to_string(orphan->id)) == std::string::npos);
  CHECK(catchup->pid == second->pid());

  second->signal(SIGTERM);
  CHECK(describe_status(second->wait_exit(15s)) == "exit 0");
}

}  // namespace maintd::e2e
