// PostgreSQL going away under a running `maintd serve` (a private server, so stopping it
// disturbs no other test): the daemon logs the failures, keeps running, recovers without a
// restart, and every slot inside the outage is run afterwards or coalesced into a catch-up run:
// nothing inside the catch-up window is lost.
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "support/postgres_cluster.hpp"

using namespace maintd::e2e;
using maintd::testing::PostgresCluster;

namespace {

maintd::Instant now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::size_t completed_from(const std::vector<RunRecord>& runs, maintd::Instant from) {
  std::size_t n = 0;
  for (const auto& run : runs) {
    n += run.status == RunStatus::completed && run.scheduled_for && *run.scheduled_for >= from;
  }
  return n;
}

// Two tasks. In kTasks both may overlap themselves (concurrency: allow), so a run stranded by
// the outage cannot hold the other slots back; kForbidTasks has the default, forbid, for the
// second one.
constexpr const char* kTasks = R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *", concurrency: allow}
  - {name: every-2s, type: debug.noop, schedule: "*/2 * * * * *", concurrency: allow}
)";
constexpr const char* kForbidTasks = R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *", concurrency: allow}
  - {name: every-2s, type: debug.noop, schedule: "*/2 * * * * *"}
)";
const std::vector<std::pair<std::string, std::chrono::seconds>> kSchedules = {
    {"every-second", std::chrono::seconds(1)}, {"every-2s", std::chrono::seconds(2)}};

// What a daemon did through an outage of the state database.
struct Observed {
  std::vector<RunRecord> runs;  // every run, after the daemon stopped
  std::string log;
  maintd::Instant down_from{}, up_at{};
  bool died = false;       // during the outage
  bool recovered = false;  // slots after the outage ran normally again
  std::string exit;        // after SIGTERM
  // Per task, the ranges of slots its catch-up runs coalesced.
  std::map<std::string, std::vector<std::pair<maintd::Instant, maintd::Instant>>> coalesced;

  std::vector<RunRecord> slot_runs_of(const std::string& task) const {
    std::vector<RunRecord> out;
    for (const auto& run : slot_runs(runs)) {
      if (run.task_name == task) out.push_back(run);
    }
    return out;
  }
  bool is_coalesced(const std::string& task, maintd::Instant slot) const {
    const auto it = coalesced.find(task);
    if (it == coalesced.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const auto& range) {
      return range.first <= slot && slot <= range.second;
    });
  }
};

// The slots a catch-up run stands for: its own, and those its reason says it coalesced ("5
// missed slots from 2026-...Z to 2026-...Z coalesced into one run").
std::pair<maintd::Instant, maintd::Instant> coalesced_range(StateReader& state,
                                                            const RunRecord& run) {
  std::pair range{*run.scheduled_for, *run.scheduled_for};
  static const std::regex pattern(R"(from (\S+Z) to (\S+Z))");
  for (const auto& event : state.events(run.id)) {
    std::smatch match;
    if (event.message.find("coalesced") == std::string::npos ||
        !std::regex_search(event.message, match, pattern)) {
      continue;
    }
    const auto utc = cctz::utc_time_zone();
    if (auto from = maintd::parse_instant(match[1].str(), utc)) range.first = *from;
    if (auto to = maintd::parse_instant(match[2].str(), utc)) range.second = *to;
  }
  return range;
}

// Starts a daemon on a private PostgreSQL, stops the server for `outage`, starts it again, waits
// until the schedules run normally again (and for the lease to pass, so that runs stranded by
// the outage show their final state), then stops the daemon.
Observed run_through_outage(const std::string& database, std::chrono::seconds outage,
                            const std::string& tasks) {
  PostgresCluster pg;
  pg.create_database(database);
  Settings settings;  // heartbeat 1s, lease 3s
  settings.state_database = pg.uri(database);
  settings.catchup = "2m";
  Workspace ws(tasks, settings);
  StateReader state(ws.url(settings.state_database));
  Observed seen;

  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  INFO("daemon output:\n" << daemon->output());
  REQUIRE(eventually(15s, [&] {
    return count_status(state.runs("every-second"), RunStatus::completed) >= 3 &&
           count_status(state.runs("every-2s"), RunStatus::completed) >= 1;
  }));

  // The outage, during which the process must stay alive.
  seen.down_from = now_seconds();
  pg.stop();
  const auto down_until = Steady::now() + outage;
  while (Steady::now() < down_until && !seen.died) {
    seen.died = !daemon->alive();
    std::this_thread::sleep_for(100ms);
  }
  pg.start();
  seen.up_at = now_seconds();

  if (!seen.died) {
    seen.recovered = eventually(30s, [&] {
      return completed_from(state.runs("every-second"), seen.up_at + 5s) >= 3 &&
             completed_from(state.runs("every-2s"), seen.up_at + 5s) >= 1;
    });
    seen.died = !daemon->alive();
    daemon->signal(SIGTERM);
  }
  seen.exit = describe_status(daemon->wait_exit(15s));
  seen.log = daemon->output();
  seen.runs = state.runs();
  for (const auto& run : seen.runs) {
    if (run.trigger == Trigger::catchup && run.scheduled_for) {
      seen.coalesced[run.task_name].push_back(coalesced_range(state, run));
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("PostgreSQL stopped for 20 s: the daemon logs, keeps running and recovers") {
  const Observed seen = run_through_outage("e2e_outage", std::chrono::seconds(20), kTasks);
  INFO("runs:\n" << describe_runs(seen.runs));
  INFO("daemon output:\n" << seen.log);
  REQUIRE_FALSE(seen.died);
  CHECK(seen.recovered);  // without a restart
  CHECK(seen.exit == "exit 0");

  // It said what was wrong while it was wrong, and gave up on no slot.
  CHECK(seen.log.find("not claimed yet") != std::string::npos);
  CHECK(seen.log.find("lost: the state database was unavailable") == std::string::npos);

  // Every slot from the first recorded to the last has a row of its own or lies in a range a
  // catch-up run coalesced: none vanished while the database was away.
  for (const auto& [task, step] : kSchedules) {
    CAPTURE(task);
    const auto runs = seen.slot_runs_of(task);
    REQUIRE_FALSE(runs.empty());
    std::map<maintd::Instant, RunRecord> by_slot;
    for (const auto& run : runs) by_slot.emplace(*run.scheduled_for, run);
    CHECK(by_slot.size() == runs.size());
    for (auto slot = by_slot.begin()->first; slot <= by_slot.rbegin()->first; slot += step) {
      const std::string slot_text = maintd::format_utc(slot);
      CAPTURE(slot_text);
      CHECK((by_slot.count(slot) == 1 || seen.is_coalesced(task, slot)));
      if (by_slot.count(slot) == 1) CHECK(by_slot.at(slot).status != RunStatus::failed);
    }
  }
}

// The stronger promise: a slot held back by the outage is run after it (or coalesced into one
// catch-up run), not recorded as skipped and not left `pending` for ever. Regression test for
// two bugs: held-back firings of a task were dispatched one after the other instead of
// coalesced (so under concurrency: forbid all but the first were skipped), and the first
// statement on each pooled session after the restart failed instead of reconnecting, leaving
// the run it was about to start `pending` for ever.
TEST_CASE("after a PostgreSQL outage the held-back slots run or are coalesced, none is stranded") {
  const Observed seen =
      run_through_outage("e2e_outage_strict", std::chrono::seconds(8), kForbidTasks);
  INFO("runs:\n" << describe_runs(seen.runs));
  INFO("daemon output:\n" << seen.log);
  REQUIRE_FALSE(seen.died);
  CHECK(seen.recovered);

  for (const auto& [task, step] : kSchedules) {
    CAPTURE(task);
    for (const auto& run : seen.slot_runs_of(task)) {
      const std::string slot_text = maintd::format_utc(*run.scheduled_for);
      CAPTURE(slot_text);
      CAPTURE(run.id);
      // Nothing stranded: every run reached a final state.
      CHECK(run.status != RunStatus::pending);
      CHECK(run.status != RunStatus::running);
      // Slots whose claim met the outage ran after it (or were folded into a catch-up run):
      // not skipped.
      if (*run.scheduled_for > seen.down_from + 1s && *run.scheduled_for < seen.up_at) {
        CHECK(run.status != RunStatus::skipped);
      }
    }
    // Each slot inside the outage ran on its own or inside a coalesced catch-up run.
    std::map<maintd::Instant, RunRecord> by_slot;
    for (const auto& run : seen.slot_runs_of(task)) by_slot.emplace(*run.scheduled_for, run);
    for (auto slot = seen.down_from + 2s; slot < seen.up_at; slot += 1s) {
      if (std::chrono::duration_cast<std::chrono::seconds>(slot.time_since_epoch()).count() %
              step.count() !=
          0) {
        continue;
      }
      const std::string slot_text = maintd::format_utc(slot);
      CAPTURE(slot_text);
      const auto it = by_slot.find(slot);
      const bool ran = it != by_slot.end() && it->second.status == RunStatus::completed;
      CHECK((ran || seen.is_coalesced(task, slot)));
    }
  }
}
