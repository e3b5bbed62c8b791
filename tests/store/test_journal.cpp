// The run journal (store/run_journal.hpp): the starts, events and finishes of runs in progress,
// group-committed by one writer. Everything RunStore promises for these three still holds: the
// transitions are conditional and say who won, a run's records land in the order they were
// queued, an unavailable database reaches the caller, and one bad record fails alone.
#include <fmt/format.h>

#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "store/run_journal.hpp"
#include "store/store_error.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using store::RunStatus;

namespace {

const store::Worker kWorker{"instance-1", "host-a", 4242};

store::RunId new_run(store::RunStore& runs, const std::string& task = "a.task") {
  store::NewRun run;
  run.task_name = task;
  run.task_type = "debug.noop";
  return runs.create_run(run);
}

// The events the journal reported lost, as "run:event:reason".
struct LostEvents {
  std::mutex mutex;
  std::vector<std::string> seen;

  store::JournalSettings settings(std::size_t max_batch = 1024) {
    store::JournalSettings result;
    result.max_batch = max_batch;
    result.on_lost_event = [this](const store::LostEvent& lost) {
      std::lock_guard lock(mutex);
      seen.push_back(fmt::format("{}:{}:{}:{}", lost.task, lost.run, lost.event, lost.reason));
    };
    return result;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("store: journal: start and finish are conditional and say who won", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  store::RunJournal journal(db, clock.clock());
  const auto id = new_run(runs);

  CHECK(journal.start(id, kWorker));
  CHECK_FALSE(journal.start(id, kWorker));  // running already: the second caller lost
  clock.advance(std::chrono::milliseconds(1500));
  CHECK(journal.finish(id, RunStatus::completed, {{"changed", 3}}, ""));
  CHECK_FALSE(journal.finish(id, RunStatus::failed, nullptr, "too late"));

  const auto run = runs.get(id);
  REQUIRE(run.has_value());
  CHECK(run->status == RunStatus::completed);
  CHECK(run->instance_id == "instance-1");
  CHECK(run->host == "host-a");
  CHECK(run->pid == 4242);
  CHECK(run->result == nlohmann::json{{"changed", 3}});
  CHECK(run->error.empty());
  REQUIRE(run->started_at.has_value());
  REQUIRE(run->finished_at.has_value());
  // The times are the instance's clock when each record was queued.
  CHECK(*run->finished_at - *run->started_at == std::chrono::milliseconds(1500));
}

TEST_CASE_TEMPLATE(
    "store: journal: a late finish of an abandoned run is accepted, a cancelled one not", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  store::RunJournal journal(db, TestClock().clock());

  const auto abandoned = new_run(runs);
  REQUIRE(journal.start(abandoned, kWorker));
  REQUIRE(runs.transition(abandoned, RunStatus::running, RunStatus::abandoned));
  CHECK(journal.finish(abandoned, RunStatus::completed, nullptr, ""));
  CHECK(runs.get(abandoned)->status == RunStatus::completed);

  const auto cancelled = new_run(runs);
  REQUIRE(journal.start(cancelled, kWorker));
  REQUIRE(runs.transition(cancelled, RunStatus::running, RunStatus::cancelled));
  CHECK_FALSE(journal.finish(cancelled, RunStatus::completed, nullptr, ""));
  CHECK(runs.get(cancelled)->status == RunStatus::cancelled);
}

TEST_CASE_TEMPLATE(
    "store: journal: a finish with a status that cannot end a run is refused unqueued", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  store::RunJournal journal(db, TestClock().clock());
  const auto id = new_run(runs);
  REQUIRE(journal.start(id, kWorker));
  for (const auto status : {RunStatus::pending, RunStatus::running, RunStatus::skipped}) {
    CAPTURE(to_string(status));
    CHECK(thrown_message<std::logic_error>([&] {
            journal.finish(id, status, nullptr, "");
          }).find("non-final status") != std::string::npos);
  }
  CHECK(runs.get(id)->status == RunStatus::running);
}

TEST_CASE_TEMPLATE(
    "store: journal: events land in the order queued, after the start, before the finish", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  store::RunJournal journal(db, clock.clock());
  const auto id = new_run(runs);

  REQUIRE(journal.start(id, kWorker));
  for (int i = 0; i < 50; ++i) {
    journal.add_event(id, "t", "info", "batch", fmt::format("batch {}", i));
    clock.advance(std::chrono::milliseconds(1));
  }
  REQUIRE(journal.finish(id, RunStatus::completed, nullptr, ""));

  const auto events = runs.events(id);
  REQUIRE(events.size() == 50);
  for (int i = 0; i < 50; ++i) {
    CHECK(events[i].message == fmt::format("batch {}", i));
    CHECK(events[i].at >= *runs.get(id)->started_at);
    CHECK(events[i].at <= *runs.get(id)->finished_at);
  }
}

TEST_CASE_TEMPLATE("store: journal: what is queued is written before the journal is destroyed",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  const auto id = new_run(runs);
  {
    store::RunJournal journal(db, TestClock().clock());
    for (int i = 0; i < 20; ++i) journal.add_event(id, "t", "info", "line", std::to_string(i));
  }
  CHECK(runs.events(id).size() == 20);
}

TEST_CASE_TEMPLATE(
    "store: journal: an event of a run that does not exist fails alone, and is reported", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  LostEvents lost;
  store::RunJournal journal(db, TestClock().clock(), lost.settings());
  const auto id = new_run(runs);

  // The bad event and the good records are likely in one batch (the writer is slower than this
  // thread); whether or not they are, only the bad one fails.
  journal.add_event(id, "t", "info", "before", "kept");
  journal.add_event(987654, "ghost", "info", "orphan", "no such run");
  CHECK(journal.start(id, kWorker));
  journal.add_event(id, "t", "info", "after", "kept");
  journal.flush();

  CHECK(runs.get(id)->status == RunStatus::running);
  const auto events = runs.events(id);
  REQUIRE(events.size() == 2);
  CHECK(events[0].event == "before");
  CHECK(events[1].event == "after");
  std::lock_guard lock(lost.mutex);
  REQUIRE(lost.seen.size() == 1);
  CHECK_MESSAGE(lost.seen.front().rfind("ghost:987654:orphan:", 0) == 0, lost.seen.front());
}

TEST_CASE_TEMPLATE(
    "store: journal: concurrent callers share commits and each learns its own result", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  store::RunJournal journal(db, TestClock().clock());
  constexpr int kThreads = 8;
  constexpr int kRunsEach = 25;
  std::vector<store::RunId> ids;
  for (int i = 0; i < kThreads * kRunsEach; ++i)
    ids.push_back(new_run(runs, fmt::format("t{}", i)));

  // Every run is started twice, from two threads: exactly one start of each wins.
  std::vector<std::vector<bool>> won(2 * kThreads, std::vector<bool>(kRunsEach));
  std::latch go(2 * kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 2 * kThreads; ++t) {
      threads.emplace_back([&, t] {
        go.arrive_and_wait();
        for (int i = 0; i < kRunsEach; ++i) {
          const auto id = ids[(t % kThreads) * kRunsEach + i];
          won[t][i] = journal.start(id, kWorker);
          if (won[t][i]) {
            journal.add_event(id, "t", "info", "work", "done");
            CHECK(journal.finish(id, RunStatus::completed, nullptr, ""));
          }
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRunsEach; ++i) CHECK(won[t][i] != won[t + kThreads][i]);
  }
  journal.flush();
  for (const auto id : ids) {
    CHECK(runs.get(id)->status == RunStatus::completed);
    CHECK(runs.events(id).size() == 1);
  }
  const auto stats = journal.stats();
  CHECK(stats.records ==
        2 * ids.size() + ids.size() + ids.size() + 1);  // starts, events, finishes, flush
  CHECK(stats.commits <= stats.records);
}

TEST_CASE_TEMPLATE("store: journal: max_batch cuts a long queue into several transactions", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  store::RunStore runs(db, TestClock().clock());
  LostEvents lost;
  store::RunJournal journal(db, TestClock().clock(), lost.settings(/*max_batch=*/4));
  const auto id = new_run(runs);
  for (int i = 0; i < 40; ++i) journal.add_event(id, "t", "info", "line", std::to_string(i));
  journal.flush();
  CHECK(runs.events(id).size() == 40);
  // 41 records at most 4 to a transaction: at least 11 commits.
  CHECK(journal.stats().commits >= 11);
  CHECK(lost.seen.empty());
}

TEST_CASE("store: journal: SQLite locked beyond the busy timeout reaches the caller<sqlite>") {
  SqliteBackend backend;
  auto db = open_migrated(backend, {.busy_timeout = std::chrono::milliseconds(200)});
  store::RunStore runs(db, TestClock().clock());
  LostEvents lost;
  store::RunJournal journal(db, TestClock().clock(), lost.settings());
  const auto id = new_run(runs);

  auto other = backend.raw();
  *other << "BEGIN IMMEDIATE";
  journal.add_event(id, "t", "info", "lost", "while locked");
  const std::string message =
      thrown_message<store::StoreUnavailable>([&] { journal.start(id, kWorker); });
  CHECK_MESSAGE(contains(message, "database is locked"), message);
  *other << "ROLLBACK";

  // Nothing was half-written, and the journal goes on once the lock is gone.
  CHECK(runs.get(id)->status == RunStatus::pending);
  CHECK(runs.events(id).empty());
  {
    std::lock_guard lock(lost.mutex);
    REQUIRE(lost.seen.size() == 1);
    CHECK_MESSAGE(contains(lost.seen.front(), "database is locked"), lost.seen.front());
    CHECK(lost.seen.front().rfind("t:", 0) == 0);  // the task is named
  }
  CHECK(journal.start(id, kWorker));
  CHECK(runs.get(id)->status == RunStatus::running);
}
