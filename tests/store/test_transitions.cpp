// The run state machine as the database enforces it: every change is one conditional UPDATE,
// the row count says who won, and transitions the design does not allow never reach SQL.
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using store::RunStatus;

namespace {

constexpr RunStatus kAll[] = {RunStatus::pending,   RunStatus::running,   RunStatus::completed,
                              RunStatus::failed,    RunStatus::timed_out, RunStatus::cancelled,
                              RunStatus::abandoned, RunStatus::skipped};

const store::Worker kWorker{"instance-1", "host-a", 4242};

store::RunId new_run(store::RunStore& runs, const std::string& task = "runs.cleanup_stale") {
  store::NewRun run;
  run.task_name = task;
  run.task_type = "runs.cleanup_stale";
  return runs.create_run(run);
}

store::RunId running_run(store::RunStore& runs) {
  const store::RunId id = new_run(runs);
  REQUIRE(runs.start(id, kWorker));
  return id;
}

// A run in `status`, reached through the store's own transitions (skipped: inserted as such).
store::RunId run_in(store::RunStore& runs, RunStatus status) {
  if (status == RunStatus::skipped) {
    store::NewRun run;
    run.task_name = "runs.cleanup_stale";
    run.task_type = "runs.cleanup_stale";
    run.status = RunStatus::skipped;
    run.error = "misfire";
    return runs.create_run(run);
  }
  const store::RunId id = new_run(runs);
  if (status == RunStatus::pending) return id;
  if (status == RunStatus::cancelled) {
    REQUIRE(runs.transition(id, RunStatus::pending, RunStatus::cancelled));
    return id;
  }
  REQUIRE(runs.start(id, kWorker));
  if (status == RunStatus::running) return id;
  if (status == RunStatus::abandoned) {
    REQUIRE(runs.transition(id, RunStatus::running, RunStatus::abandoned));
    return id;
  }
  REQUIRE(runs.finish(id, status, nullptr, ""));
  return id;
}

RunStatus status_of(store::RunStore& runs, store::RunId id) {
  const auto run = runs.get(id);
  REQUIRE(run);
  return run->status;
}

}  // namespace

TEST_CASE_TEMPLATE("store: start: only a pending run starts, and records who runs it", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  const store::RunId id = new_run(runs);
  clock.advance(std::chrono::seconds(2));
  CHECK(runs.start(id, kWorker));
  const auto run = runs.get(id);
  REQUIRE(run);
  CHECK(run->status == RunStatus::running);
  CHECK(run->instance_id == "instance-1");
  CHECK(run->host == "host-a");
  CHECK(run->pid == 4242);
  REQUIRE(run->started_at);
  CHECK(*run->started_at == clock.now());
  CHECK(run->heartbeat_at.has_value());
  CHECK_FALSE(run->finished_at);

  CHECK_FALSE(runs.start(id, {"instance-2", "host-b", 1}));  // already running
  CHECK(runs.get(id)->instance_id == "instance-1");
  for (RunStatus status : kAll) {
    if (status == RunStatus::pending) continue;
    CAPTURE(store::to_string(status));
    const store::RunId other = run_in(runs, status);
    CHECK_FALSE(runs.start(other, kWorker));
    CHECK(status_of(runs, other) == status);
  }
  CHECK_FALSE(runs.start(id + 1000, kWorker));  // no such run
}

TEST_CASE_TEMPLATE("store: finish: only from running, once, with the result and the error", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());

  const store::RunId pending = new_run(runs);
  CHECK_FALSE(runs.finish(pending, RunStatus::completed, nullptr, ""));
  CHECK(status_of(runs, pending) == RunStatus::pending);

  const store::RunId ok = running_run(runs);
  clock.advance(std::chrono::seconds(5));
  CHECK(runs.finish(ok, RunStatus::completed, {{"released", 12}}, ""));
  auto run = runs.get(ok);
  REQUIRE(run);
  CHECK(run->status == RunStatus::completed);
  CHECK(run->result == nlohmann::json{{"released", 12}});
  CHECK(run->error.empty());
  REQUIRE(run->finished_at);
  CHECK(*run->finished_at == clock.now());
  // The second finish loses, whatever it says, and changes nothing.
  for (RunStatus outcome :
       {RunStatus::completed, RunStatus::failed, RunStatus::timed_out, RunStatus::cancelled}) {
    CHECK_FALSE(runs.finish(ok, outcome, {{"other", true}}, "late"));
  }
  run = runs.get(ok);
  CHECK(run->status == RunStatus::completed);
  CHECK(run->result == nlohmann::json{{"released", 12}});
  CHECK(run->error.empty());

  const store::RunId bad = running_run(runs);
  CHECK(runs.finish(bad, RunStatus::failed, nullptr, "connection refused"));
  run = runs.get(bad);
  CHECK(run->status == RunStatus::failed);
  CHECK(run->error == "connection refused");

  for (RunStatus outcome : {RunStatus::timed_out, RunStatus::cancelled}) {
    const store::RunId id = running_run(runs);
    CHECK(runs.finish(id, outcome, nullptr, "stopped"));
    CHECK(status_of(runs, id) == outcome);
  }
}

TEST_CASE_TEMPLATE(
    "store: finish: a late completed or failed is accepted from abandoned, nothing else", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  for (RunStatus outcome : {RunStatus::completed, RunStatus::failed}) {
    CAPTURE(store::to_string(outcome));
    const store::RunId id = run_in(runs, RunStatus::abandoned);
    CHECK(runs.finish(id, outcome, {{"late", true}}, ""));
    CHECK(status_of(runs, id) == outcome);
    CHECK(runs.get(id)->finished_at.has_value());
    CHECK_FALSE(runs.finish(id, outcome, nullptr, ""));
  }
  for (RunStatus outcome : {RunStatus::timed_out, RunStatus::cancelled}) {
    CAPTURE(store::to_string(outcome));
    const store::RunId id = run_in(runs, RunStatus::abandoned);
    CHECK_FALSE(runs.finish(id, outcome, nullptr, ""));
    CHECK(status_of(runs, id) == RunStatus::abandoned);
  }
}

TEST_CASE_TEMPLATE("store: finish: a status that is not an outcome is a programming error", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  const store::RunId id = running_run(runs);
  for (RunStatus status :
       {RunStatus::pending, RunStatus::running, RunStatus::abandoned, RunStatus::skipped}) {
    CAPTURE(store::to_string(status));
    CHECK_THROWS_AS(runs.finish(id, status, nullptr, ""), std::logic_error);
  }
  CHECK(status_of(runs, id) == RunStatus::running);
}

TEST_CASE_TEMPLATE("store: finish: N threads finishing one run, exactly one wins", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  constexpr int kThreads = 8;
  auto db = open_migrated(backend, {.pool_size = kThreads});
  store::RunStore runs(db, TestClock().clock());
  for (int round = 0; round < 5; ++round) {
    const store::RunId id = running_run(runs);
    std::vector<int> won(kThreads, -1);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        const RunStatus outcome = t % 2 == 0 ? RunStatus::completed : RunStatus::failed;
        try {
          won[t] = runs.finish(id, outcome, {{"thread", t}}, "") ? 1 : 0;
        } catch (const std::exception&) {
          won[t] = -1;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    int winners = 0, winner = -1;
    for (int t = 0; t < kThreads; ++t) {
      CHECK(won[t] != -1);
      if (won[t] == 1) {
        ++winners;
        winner = t;
      }
    }
    REQUIRE(winners == 1);
    // The row holds the winner's outcome and result, not a mix.
    const auto run = runs.get(id);
    CHECK(run->status == (winner % 2 == 0 ? RunStatus::completed : RunStatus::failed));
    CHECK(run->result == nlohmann::json{{"thread", winner}});
  }
}

TEST_CASE_TEMPLATE("store: transition: every allowed pair applies once, every other one throws",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  int allowed = 0;
  for (RunStatus from : kAll) {
    for (RunStatus to : kAll) {
      CAPTURE(store::to_string(from));
      CAPTURE(store::to_string(to));
      const store::RunId id = run_in(runs, from);
      if (!store::can_transition(from, to)) {
        CHECK_THROWS_AS(runs.transition(id, from, to), std::logic_error);
        CHECK(status_of(runs, id) == from);
        continue;
      }
      ++allowed;
      CHECK(runs.transition(id, from, to, "why"));
      CHECK(status_of(runs, id) == to);
      CHECK(runs.get(id)->error == "why");
      CHECK(runs.get(id)->finished_at.has_value() == store::is_terminal(to));
      CHECK_FALSE(runs.transition(id, from, to));  // the second caller loses
      // A caller that believes the run is in another state loses too.
      const store::RunId other = run_in(runs, from);
      for (RunStatus wrong : kAll) {
        if (wrong == from || !store::can_transition(wrong, to)) continue;
        CHECK_FALSE(runs.transition(other, wrong, to));
      }
      CHECK(status_of(runs, other) == from);
    }
  }
  CHECK(allowed == 11);  // pending -> skipped: a one-off run not started
}

TEST_CASE_TEMPLATE(
    "store: transition: to running sets started_at and heartbeat_at, so the lease applies", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  const store::RunId id = new_run(runs);
  CHECK(runs.transition(id, RunStatus::pending, RunStatus::running));
  const auto run = runs.get(id);
  CHECK(run->started_at == clock.now());
  CHECK(run->heartbeat_at.has_value());
  CHECK_FALSE(run->finished_at);
}

TEST_CASE_TEMPLATE("store: heartbeat: only a pending or running run is renewed", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  const store::RunId pending = new_run(runs);
  CHECK_FALSE(runs.get(pending)->heartbeat_at);
  CHECK(runs.heartbeat(pending));  // a claimed run waiting for a worker holds a lease
  CHECK(runs.get(pending)->heartbeat_at);

  const store::RunId running = running_run(runs);
  auto sql = backend.raw();
  *sql << "UPDATE maintd_runs SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = " +
              std::to_string(running);
  CHECK(runs.heartbeat(running));
  const auto beat = runs.get(running)->heartbeat_at;
  REQUIRE(beat);
  CHECK(std::chrono::abs(*beat - store::system_clock()()) < std::chrono::minutes(1));

  for (RunStatus status : kAll) {
    if (status == RunStatus::running || status == RunStatus::pending) continue;
    CAPTURE(store::to_string(status));
    CHECK_FALSE(runs.heartbeat(run_in(runs, status)));
  }
  CHECK_FALSE(runs.heartbeat(running + 1000));
}
