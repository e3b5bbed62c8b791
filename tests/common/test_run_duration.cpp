// The one formatter of run durations (dashboard, CLI, run events): each unit's boundary, and the
// rule that it always rounds down.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "common/duration.hpp"

using namespace std::chrono_literals;

TEST_CASE("run durations: tenths under a minute, then the two largest units, rounded down") {
  struct Row {
    std::chrono::milliseconds duration;
    const char* shown;
  };
  const Row rows[] = {
      {0ms, "0.0s"},       {99ms, "0.0s"},          {100ms, "0.1s"}, {1234ms, "1.2s"},
      {1999ms, "1.9s"},    {59'999ms, "59.9s"},     {60s, "1m00s"},  {61s, "1m01s"},
      {184s, "3m04s"},     {3'599'999ms, "59m59s"}, {1h, "1h00m"},   {7500s, "2h05m"},
      {86'399s, "23h59m"}, {24h, "1d00h"},          {76h, "3d04h"},  {-5ms, "0.0s"},
      {-2h, "0.0s"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.duration.count());
    CHECK(maintd::format_run_duration(row.duration) == row.shown);
  }
}
