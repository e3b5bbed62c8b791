// Two `maintd serve` instances on one real PostgreSQL state database: a `maintd pause` stops both
// (one skipped record for the task, however many instances met its slots), and one-off runs
// recorded by `maintd run --at` start once each, on one instance or the other.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "support/postgres_cluster.hpp"

using namespace maintd::e2e;
using maintd::testing::PostgresCluster;

namespace {

maintd::Instant now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

maintd::store::RunId run_id_in(const std::string& output) {
  std::smatch match;
  REQUIRE_MESSAGE(std::regex_search(output, match, std::regex("run ([0-9]+): one-off run")),
                  output);
  return std::stoll(match[1].str());
}

}  // namespace

TEST_CASE("two instances: a pause stops both, and one-off runs start once each") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("e2e_pause_instances");
  Settings settings;  // heartbeat 1s, lease 3s
  settings.state_database = pg.uri("e2e_pause_instances");
  Workspace ws(R"(tasks:
  - {name: every-second, type: debug.noop, schedule: "* * * * * *"}
  - {name: yearly, type: debug.noop, schedule: "@yearly", concurrency: allow}
)",
               settings);
  StateReader state(ws.url(settings.state_database));
  auto one = start_daemon(ws.config, ws.log("one.log"));
  auto two = start_daemon(ws.config, ws.log("two.log"));
  const std::string config = ws.config.string();

  // Five one-off runs due in the same second: each starts once.
  std::vector<maintd::store::RunId> ids;
  for (int i = 0; i < 5; ++i) {
    const auto recorded = run_maintd({"run", "yearly", "--at", "+4s", "--config", config},
                                     ws.log("at" + std::to_string(i) + ".log"));
    INFO(recorded.output);
    REQUIRE(recorded.code() == 0);
    ids.push_back(run_id_in(recorded.output));
  }
  const bool all_done = eventually(20s, [&] {
    for (const auto id : ids) {
      const auto run = state.get(id);
      if (!run || run->status != RunStatus::completed) return false;
    }
    return true;
  });

  const auto paused =
      run_maintd({"pause", "--reason", "two instances", "--config", config}, ws.log("pause.log"));
  const auto paused_at = now_seconds();
  REQUIRE(paused.code() == 0);
  std::this_thread::sleep_for(3500ms);
  const auto during = state.runs("every-second");
  REQUIRE(run_maintd({"resume", "--config", config}, ws.log("resume.log")).code() == 0);

  one->signal(SIGTERM);
  two->signal(SIGTERM);
  CHECK(describe_status(one->wait_exit(15s)) == "exit 0");
  CHECK(describe_status(two->wait_exit(15s)) == "exit 0");
  const auto yearly = state.runs("yearly");
  INFO("one-off runs:\n" << describe_runs(yearly));
  INFO("instance one:\n" << one->output());
  INFO("instance two:\n" << two->output());
  REQUIRE(all_done);
  CHECK(yearly.size() == ids.size());  // no other run of the task, and each once
  for (const auto& run : yearly) {
    CHECK(run.trigger == Trigger::once);
    CHECK(run.status == RunStatus::completed);
  }

  INFO("every-second:\n" << describe_runs(during));
  std::size_t records = 0;
  for (const auto& run : during) {
    if (run.status == RunStatus::skipped) {
      ++records;
      CHECK(run.result["paused"] == true);
    } else {
      CHECK(*run.scheduled_for <= paused_at + 1s);
    }
  }
  CHECK(records == 1);
}
