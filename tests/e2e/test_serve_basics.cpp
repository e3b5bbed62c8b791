// `maintd serve` end to end on a SQLite state database: what it refuses to start with (exit
// codes 2 and 3), and firing on time: every run of a seconds schedule starts within 1 s of its
// slot.
#include <doctest/doctest.h>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"

using namespace maintd::e2e;

TEST_CASE("serve with an invalid configuration exits 2 naming file:line:col") {
  Workspace ws(R"(tasks:
  - name: tick
    type: debug.noop
    schedule: "* * * * * *"
    timout: 5s
)");
  const auto out = run_maintd({"serve", "--config", ws.config.string()}, ws.log("serve.log"));
  INFO("output:\n" << out.output);
  REQUIRE(out.status.has_value());
  CHECK(out.code() == 2);
  CHECK(out.output.find("tasks.yaml:5:5: unknown key 'timout'") != std::string::npos);
  CHECK(out.output.find("did you mean 'timeout'?") != std::string::npos);
}

TEST_CASE("serve with the state database's directory missing exits 3") {
  Settings settings;
  settings.state_database = "sqlite3://no-such-dir/state.db";
  Workspace ws("tasks:\n  - {name: tick, type: debug.noop, schedule: \"* * * * * *\"}\n", settings);
  const auto out = run_maintd({"serve", "--config", ws.config.string()}, ws.log("serve.log"));
  INFO("output:\n" << out.output);
  REQUIRE(out.status.has_value());
  CHECK(out.code() == 3);
  CHECK(out.output.find("state database") != std::string::npos);
  CHECK(out.output.find("no-such-dir") != std::string::npos);
}

TEST_CASE("a seconds schedule fires within 1 s of each slot") {
  Workspace ws(R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *"}
  - {name: every-2s, type: debug.noop, schedule: "*/2 * * * * *"}
)");
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  StateReader state(ws.url());

  // Six finished runs of the every-second task; the other task ran meanwhile too.
  const bool enough = eventually(20s, [&] {
    return count_status(state.runs("every-second"), RunStatus::completed) >= 6 &&
           count_status(state.runs("every-2s"), RunStatus::completed) >= 3;
  });
  daemon->signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  const auto runs = state.runs();
  INFO("runs:\n" << describe_runs(runs));
  INFO("daemon output:\n" << daemon->output());
  REQUIRE(enough);
  REQUIRE(status.has_value());
  CHECK(describe_status(status) == "exit 0");

  for (const std::string task : {"every-second", "every-2s"}) {
    const auto mine = state.runs(task);
    std::optional<maintd::Instant> previous;
    for (const auto& run : mine) {
      CAPTURE(run.id);
      CHECK(run.trigger == Trigger::schedule);
      CHECK(run.status == RunStatus::completed);
      REQUIRE(run.scheduled_for.has_value());
      REQUIRE(run.started_at.has_value());
      const auto lateness =
          *run.started_at -
          std::chrono::time_point_cast<std::chrono::milliseconds>(*run.scheduled_for);
      CAPTURE(lateness.count());
      CHECK(lateness >= 0ms);
      CHECK(lateness < 1000ms);
      // Consecutive slots of the schedule: none skipped, none twice.
      if (previous) CHECK(*run.scheduled_for - *previous == (task == "every-2s" ? 2s : 1s));
      previous = run.scheduled_for;
    }
  }
}
