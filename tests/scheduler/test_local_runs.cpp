// The set of runs this instance executes: what stops one, all, what shutdown waits for, and the
// lease stamps, by a clock the test moves.
#include <doctest/doctest.h>

#include <chrono>

#include "scheduler/local_runs.hpp"

using maintd::scheduler::LocalRuns;
using namespace std::chrono_literals;

TEST_CASE("local runs: added, stopped, stamped, removed") {
  std::chrono::steady_clock::time_point now{};
  LocalRuns local([&] { return now; });
  CHECK(local.wait_idle(0ms));
  const auto one = local.add(1);
  now += 5s;
  const auto two = local.add(2);
  CHECK(local.size() == 2);
  CHECK(local.stop_source(1) == one);
  CHECK(local.stop_source(3) == nullptr);
  CHECK_FALSE(local.wait_idle(0ms));

  using Stamps =
      std::vector<std::pair<maintd::store::RunId, std::chrono::steady_clock::time_point>>;
  CHECK(local.lease_writes() == Stamps{{1, std::chrono::steady_clock::time_point{}}, {2, now}});
  local.lease_written(1, now + 1s);
  local.lease_written(3, now);  // gone: nothing to stamp
  CHECK(local.lease_writes() == Stamps{{1, now + 1s}, {2, now}});
  CHECK(local.now() == now);

  local.stop_all();
  CHECK(one->stop_requested());
  CHECK(two->stop_requested());
  local.remove(1);
  local.remove(2);
  CHECK(local.size() == 0);
  CHECK(local.wait_idle(0ms));
  CHECK(local.stop_source(1) == nullptr);
}
