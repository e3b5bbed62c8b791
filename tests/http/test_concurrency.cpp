// 50 clients hammering POST run on a `concurrency: forbid` task: one run at a time, every
// accepted run completes, every refusal is a 409 naming the run in progress, never a 5xx.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using nlohmann::json;

TEST_CASE("50 concurrent clients on a forbid task: at most one run at a time, nothing lost") {
  ApiFixture f;
  constexpr int kClients = 50;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::mutex mutex;
  std::vector<std::int64_t> accepted;
  std::set<std::int64_t> named;  // the runs that 409s named
  std::atomic<int> refused = 0;
  std::atomic<int> unexpected = 0;
  std::vector<std::string> oddities;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        const auto response =
            f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": {"ms": 100}})");
        std::lock_guard lock(mutex);
        if (response.status == 202) {
          accepted.push_back(response.json().at("run_id"));
        } else if (response.status == 409 && response.json().contains("running_run_id")) {
          ++refused;
          named.insert(response.json().at("running_run_id").get<std::int64_t>());
        } else {
          ++unexpected;
          oddities.push_back(std::to_string(response.status) + " " + response.body);
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  for (const auto& oddity : oddities) MESSAGE(oddity);
  CHECK(unexpected == 0);
  CHECK(refused > 0);
  REQUIRE(accepted.size() >= 2);

  // Every accepted run completes.
  for (const auto id : accepted) CHECK(f.wait_finished(id).at("status") == "completed");
  // Every refusal named an accepted run.
  for (const auto id : named) {
    CHECK(std::find(accepted.begin(), accepted.end(), id) != accepted.end());
  }
  // At most one at a time: in the handler itself, and in the state database (each run was
  // recorded after the previous one had finished).
  CHECK(f.probe->max_running == 1);
  CHECK(f.probe->finished == static_cast<int>(accepted.size()));
  auto runs = f.all_runs();
  CHECK(runs.size() == accepted.size());
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < runs.size(); ++i) {
    REQUIRE(runs[i - 1].finished_at);
    CHECK(runs[i].created_at >= *runs[i - 1].finished_at);
  }
  MESSAGE(accepted.size() << " runs accepted, " << refused.load() << " refused with 409");
}
