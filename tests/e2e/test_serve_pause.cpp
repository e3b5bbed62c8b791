// The real binary: `maintd pause` stops a running daemon from starting scheduled runs (recorded
// as one skipped run), `maintd resume` brings it back; `maintd run --at` records a one-off run
// that the daemon starts once at its time; `maintd cancel` keeps one from starting.
#include <doctest/doctest.h>

#include <regex>

#include "e2e/e2e_config.hpp"

using namespace maintd::e2e;
using maintd::Instant;
namespace store = maintd::store;

namespace {

Instant wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// "run 7: one-off run of ..." -> 7.
store::RunId run_id_in(const std::string& output) {
  std::smatch match;
  REQUIRE_MESSAGE(std::regex_search(output, match, std::regex("run ([0-9]+): one-off run")),
                  output);
  return std::stoll(match[1].str());
}

}  // namespace

TEST_CASE("pause stops a running daemon from starting slots, resume brings them back") {
  Workspace ws(R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *"}
)");
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());
  REQUIRE(eventually(
      10s, [&] { return count_status(state.runs("every-second"), RunStatus::completed) >= 2; }));

  const auto paused = run_maintd(
      {"pause", "--reason", "e2e deploy", "--config", ws.config.string()}, ws.log("pause.log"));
  const Instant paused_at = wall_now();
  INFO("pause output:\n" << paused.output);
  REQUIRE(paused.code() == 0);
  std::this_thread::sleep_for(3500ms);
  const auto during = state.runs("every-second");
  INFO("runs:\n" << describe_runs(during));
  INFO("daemon output:\n" << daemon->output());
  // A slot claimed as the pause was being written may still have run; none after.
  for (const auto& run : during) {
    if (run.status != RunStatus::skipped) CHECK(*run.scheduled_for <= paused_at + 1s);
  }
  std::size_t records = 0;
  for (const auto& run : during) {
    if (run.status != RunStatus::skipped) continue;
    ++records;
    CHECK(run.result["paused"] == true);
    CHECK(run.result["slots"].get<int>() >= 2);
    CHECK(run.error.find(": e2e deploy; ") != std::string::npos);
  }
  CHECK(records == 1);  // coalesced: one record for the whole pause
  CHECK(daemon->output().find("no scheduled run starts until it ends") != std::string::npos);

  const auto status = run_maintd({"status", "--config", ws.config.string()}, ws.log("status.log"));
  CHECK(status.output.find("PAUSED: paused by ") != std::string::npos);

  const auto resumed = run_maintd({"resume", "--config", ws.config.string()}, ws.log("resume.log"));
  const Instant resumed_at = wall_now();
  REQUIRE(resumed.code() == 0);
  const bool back = eventually(10s, [&] {
    for (const auto& run : state.runs("every-second")) {
      if (run.status == RunStatus::completed && *run.scheduled_for > resumed_at) return true;
    }
    return false;
  });
  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
  CHECK(back);
}

TEST_CASE("a one-off run starts once at its time, a cancelled one never starts") {
  Workspace ws(R"(tasks:
  - {name: yearly, type: debug.noop, schedule: "@yearly"}
)");
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());

  const auto first = run_maintd({"run", "yearly", "--at", "+3s", "--config", ws.config.string()},
                                ws.log("at1.log"));
  INFO("run --at output:\n" << first.output);
  REQUIRE(first.code() == 0);
  const auto id = run_id_in(first.output);
  const auto second = run_maintd({"run", "yearly", "--at", "+5s", "--config", ws.config.string()},
                                 ws.log("at2.log"));
  REQUIRE(second.code() == 0);
  const auto cancelled = run_id_in(second.output);
  const auto cancel = run_maintd(
      {"cancel", std::to_string(cancelled), "--config", ws.config.string()}, ws.log("cancel.log"));
  INFO("cancel output:\n" << cancel.output);
  CHECK(cancel.code() == 0);

  const bool done = eventually(15s, [&] {
    const auto run = state.get(id);
    return run && run->status == RunStatus::completed;
  });
  std::this_thread::sleep_for(4s);  // past the cancelled one's time, too
  const auto runs = state.runs("yearly");
  INFO("runs:\n" << describe_runs(runs));
  INFO("daemon output:\n" << daemon->output());
  daemon->signal(SIGTERM);
  CHECK(describe_status(daemon->wait_exit(15s)) == "exit 0");
  REQUIRE(done);
  REQUIRE(runs.size() == 2);
  const auto run = state.get(id);
  CHECK(run->trigger == Trigger::once);
  REQUIRE(run->due_at.has_value());
  REQUIRE(run->started_at.has_value());
  const auto lateness =
      *run->started_at - std::chrono::time_point_cast<std::chrono::milliseconds>(*run->due_at);
  CAPTURE(lateness.count());
  CHECK(lateness >= 0ms);
  // Recorded by another process: the daemon reads it within heartbeat_interval (1 s here) and
  // then sleeps until its time, which is 3 s after it was recorded.
  CHECK(lateness < 1500ms);
  const auto never = state.get(cancelled);
  CHECK(never->status == RunStatus::cancelled);
  CHECK_FALSE(never->started_at.has_value());
}
