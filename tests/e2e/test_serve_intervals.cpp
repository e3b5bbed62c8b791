// `maintd serve` end to end with `@every` schedules and pause_after_failures, on a SQLite state
// database: slots on the interval's grid, a restart keeping the phase (the missed slots caught
// up once), and a task that keeps failing switched off with an event, an alert (through a
// notify command) and a line in `maintd status`, then enabled again with its count reset.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"

using namespace maintd::e2e;

namespace {

long long epoch_seconds(maintd::Instant at) {
  return at.time_since_epoch().count();
}

std::vector<RunRecord> with_status(const std::vector<RunRecord>& runs, RunStatus status) {
  std::vector<RunRecord> out;
  for (const auto& run : runs) {
    if (run.status == status) out.push_back(run);
  }
  return out;
}

bool has_event(StateReader& state, maintd::store::RunId id, const std::string& event) {
  for (const auto& e : state.events(id)) {
    if (e.event == event) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("an @every 2s task fires on its grid, and a restart keeps the phase") {
  Workspace ws("tasks:\n  - {name: tick, type: debug.noop, schedule: \"@every 2s\"}\n");
  StateReader state(ws.url());
  {
    auto daemon = start_daemon(ws.config, ws.log("serve-1.log"));
    const bool three = eventually(
        20s, [&] { return count_status(state.runs("tick"), RunStatus::completed) >= 3; });
    daemon->signal(SIGTERM);
    INFO("daemon output:\n" << daemon->output());
    REQUIRE(three);
    REQUIRE(describe_status(daemon->wait_exit(15s)) == "exit 0");
  }
  const auto before = state.runs("tick");
  // At least two slots pass while no daemon runs: they are caught up as one run (trigger
  // catchup; a single missed slot within the 60 s grace would run as `schedule`).
  std::this_thread::sleep_for(5s);
  auto daemon = start_daemon(ws.config, ws.log("serve-2.log"));
  const bool more = eventually(20s, [&] {
    return count_status(state.runs("tick"), RunStatus::completed) >= before.size() + 3;
  });
  daemon->signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  const auto runs = state.runs("tick");
  INFO("runs:\n" << describe_runs(runs));
  INFO("daemon output:\n" << daemon->output());
  REQUIRE(more);
  CHECK(describe_status(status) == "exit 0");

  std::optional<maintd::Instant> previous;
  int catchups = 0;
  for (const auto& run : runs) {
    CAPTURE(run.id);
    REQUIRE(run.scheduled_for.has_value());
    CHECK(epoch_seconds(*run.scheduled_for) % 2 == 0);  // on the grid, across the restart
    CHECK(run.status == RunStatus::completed);
    if (previous) {
      CHECK(*run.scheduled_for > *previous);  // no slot twice
      // One interval apart, except across the downtime, where the missed slots were coalesced.
      if (run.trigger == Trigger::schedule) CHECK(*run.scheduled_for - *previous == 2s);
    }
    if (run.trigger == Trigger::catchup) {
      ++catchups;
      CHECK(run.id == before.back().id + 1);  // the first run after the restart
    }
    previous = run.scheduled_for;
  }
  CHECK(catchups == 1);
}

TEST_CASE(
    "pause_after_failures: a failing task is paused with an event, an alert and a status "
    "line, and enabling it resets the count") {
  const maintd::testing::TempDir alerts_dir;
  const auto alerts = alerts_dir.path() / "alerts.jsonl";
  Settings settings;
  settings.extra = "notify:\n  command: [\"/bin/sh\", \"-c\", \"cat >> '" + alerts.string() +
                   "'; echo >> '" + alerts.string() + "'\"]\n  on: [paused]\n  min_interval: 1s\n";
  Workspace ws(
      "tasks:\n"
      "  - name: broken\n"
      "    type: command.exec\n"
      "    schedule: \"@every 1s\"\n"
      "    pause_after_failures: 2\n"
      "    config: {shell: true, command: \"echo nope >&2; exit 3\"}\n"
      "  - {name: fine, type: debug.noop, schedule: \"@every 1s\"}\n",
      settings);
  StateReader state(ws.url());
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  INFO("daemon output:\n" << daemon->output());
  const std::string config = ws.config.string();

  const auto status_shows_pause = [&] {
    std::this_thread::sleep_for(200ms);
    const auto out = run_maintd({"status", "-c", config}, ws.log("status.log"));
    return out.output.find("paused: broken (by run ") != std::string::npos;
  };
  REQUIRE(eventually(20s, status_shows_pause));
  const auto first = state.runs("broken");
  INFO("runs:\n" << describe_runs(first));
  const auto failed = with_status(first, RunStatus::failed);
  REQUIRE(failed.size() >= 2);
  // The second failure paused it: its run says so, and nothing of the task runs after it but a
  // slot that was already claimed when it failed.
  CHECK(has_event(state, failed[1].id, "paused"));
  CHECK_FALSE(has_event(state, failed[0].id, "paused"));
  std::this_thread::sleep_for(3s);
  CHECK(state.runs("broken").size() <= 3);
  CHECK(state.runs("fine").size() >= 4);  // the other task goes on
  // The alert went through the notify command.
  REQUIRE(eventually(
      10s, [&] { return read_text(alerts).find("\"kind\":\"paused\"") != std::string::npos; }));
  const auto alert =
      nlohmann::json::parse(read_text(alerts).substr(0, read_text(alerts).find('\n')));
  CHECK(alert["kind"] == "paused");
  CHECK(alert["task"] == "broken");
  CHECK(alert["run_id"] == failed[1].id);
  CHECK(alert["message"].get<std::string>().find(
            "paused after 2 consecutive failed or timed-out runs (pause_after_failures: 2)") == 0);

  // Enabled again: no status line, and it takes two new failures to pause it again.
  const auto enabled_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto enable = run_maintd({"task", "enable", "broken", "-c", config}, ws.log("enable.log"));
  INFO("enable output:\n" << enable.output);
  REQUIRE(enable.code() == 0);
  const auto after_enable = run_maintd({"status", "-c", config}, ws.log("status-2.log"));
  CHECK(after_enable.output.find("paused: broken") == std::string::npos);
  // The daemon sees the enable at its next poll of the table (poll_interval: 5s).
  REQUIRE(eventually(30s, [&] {
    std::vector<RunRecord> since;
    for (const auto& run : with_status(state.runs("broken"), RunStatus::failed)) {
      if (run.created_at >= enabled_at) since.push_back(run);
    }
    return since.size() >= 2 && has_event(state, since[1].id, "paused");
  }));
  std::vector<RunRecord> since;
  for (const auto& run : with_status(state.runs("broken"), RunStatus::failed)) {
    if (run.created_at >= enabled_at) since.push_back(run);
  }
  CHECK_FALSE(has_event(state, since[0].id, "paused"));  // one failure after the enable: not yet
  REQUIRE(eventually(20s, status_shows_pause));
  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
}
