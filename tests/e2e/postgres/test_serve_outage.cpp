// PostgreSQL going away for 20 s under a running `maintd serve` (a private server, so stopping
// it disturbs no other test): the daemon logs the failures, keeps running, recovers without a
// restart, and every slot inside the outage is run afterwards or coalesced into a catch-up run:
// nothing inside the catch-up window is lost.
#include <doctest/doctest.h>

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

// The slots a catch-up run stands for: its own, and those its reason says it coalesced ("5
// missed slots from 2026-...Z to 2026-...Z coalesced into one run").
std::pair<maintd::Instant, maintd::Instant> coalesced_range(StateReader& state,
                                                            const RunRecord& run) {
  std::pair range{*run.scheduled_for, *run.scheduled_for};
  static const std::regex pattern(R"(from (\S+Z) to (\S+Z) coalesced)");
  for (const auto& event : state.events(run.id)) {
    std::smatch match;
    if (!std::regex_search(event.message, match, pattern)) continue;
    const auto utc = cctz::utc_time_zone();
    if (auto from = maintd::parse_instant(match[1].str(), utc)) range.first = *from;
    if (auto to = maintd::parse_instant(match[2].str(), utc)) range.second = *to;
  }
  return range;
}

}  // namespace

TEST_CASE("PostgreSQL stopped for 20 s: the daemon keeps running, recovers, and loses no slot") {
  PostgresCluster pg;
  pg.create_database("e2e_outage");
  Settings settings;  // heartbeat 1s, lease 3s
  settings.state_database = pg.uri("e2e_outage");
  settings.catchup = "2m";
  Workspace ws(R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *", concurrency: allow}
  - {name: every-5s, type: debug.noop, schedule: "*/5 * * * * *"}
)",
               settings);
  StateReader state(ws.url(settings.state_database));

  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  INFO("daemon output:\n" << daemon->output());
  REQUIRE(eventually(15s, [&] {
    return count_status(state.runs("every-second"), RunStatus::completed) >= 3 &&
           count_status(state.runs("every-5s"), RunStatus::completed) >= 1;
  }));

  // The outage: 20 s, during which the process must stay alive.
  const auto down_from = now_seconds();
  pg.stop();
  const auto down_until = Steady::now() + 20s;
  bool died = false;
  while (Steady::now() < down_until && !died) {
    died = !daemon->alive();
    std::this_thread::sleep_for(100ms);
  }
  pg.start();
  const auto up_at = now_seconds();
  REQUIRE_FALSE(died);

  // Recovered without a restart: slots after the outage run normally again.
  const bool recovered = eventually(30s, [&] {
    return completed_from(state.runs("every-second"), up_at + 3s) >= 3 &&
           completed_from(state.runs("every-5s"), up_at + 5s) >= 1;
  });
  CHECK(daemon->alive());
  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
  const auto all = state.runs();
  INFO("runs:\n" << describe_runs(all));
  REQUIRE(recovered);

  // It said what was wrong while it was wrong.
  const std::string log = daemon->output();
  CHECK(log.find("not claimed yet") != std::string::npos);
  CHECK(log.find("lost: the state database was unavailable") == std::string::npos);

  // Every slot from the first recorded one to the last is accounted for: a run of its own, or
  // inside the range a catch-up run coalesced. Slots inside the outage were not skipped.
  for (const auto& [task, step] : {std::pair{std::string("every-second"), 1s},
                                   std::pair{std::string("every-5s"), 5s}}) {
    CAPTURE(task);
    const auto runs = slot_runs(state.runs(task));
    REQUIRE_FALSE(runs.empty());
    std::map<maintd::Instant, RunRecord> by_slot;
    std::vector<std::pair<maintd::Instant, maintd::Instant>> coalesced;
    for (const auto& run : runs) {
      by_slot.emplace(*run.scheduled_for, run);
      if (run.trigger == Trigger::catchup) coalesced.push_back(coalesced_range(state, run));
    }
    for (auto slot = by_slot.begin()->first; slot <= by_slot.rbegin()->first; slot += step) {
      const std::string slot_text = maintd::format_utc(slot);
      CAPTURE(slot_text);
      const auto it = by_slot.find(slot);
      const bool covered = std::any_of(coalesced.begin(), coalesced.end(), [&](const auto& range) {
        return range.first <= slot && slot <= range.second;
      });
      CHECK((it != by_slot.end() || covered));
      if (it == by_slot.end()) continue;
      const RunRecord& run = it->second;
      CAPTURE(run.id);
      CHECK(run.status != RunStatus::failed);
      // The slots whose claim met the outage were claimed after it, and ran.
      if (slot > down_from + 1s && slot < up_at) {
        CHECK(to_string(run.status) == std::string("completed"));
      }
    }
  }
}
