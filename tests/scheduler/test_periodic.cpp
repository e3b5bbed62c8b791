// A periodic step of the loop: run again and again, a throw logged and the next step taken
// anyway, the loop's beat marked around each step, and no step once the loop is stopping. The
// timer is real but tiny; nothing asserts how long anything took.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "scheduler/periodic.hpp"
#include "support/captured_log.hpp"

using maintd::scheduler::Periodic;
using maintd::testing::CapturedLog;
using namespace std::chrono_literals;

TEST_CASE("periodic: steps repeat through a throw, beat around each, and end when stopping") {
  boost::asio::io_context io;
  bool stopping = false;
  int beats = 0;
  int steps = 0;
  Periodic periodic(
      io, [&] { return stopping; }, [&] { ++beats; });
  CapturedLog log;
  periodic.start("counting", 1ms, [&] {
    ++steps;
    if (steps == 3) stopping = true;
    if (steps == 2) throw std::runtime_error("boom");
  });
  io.run();  // returns once the step after stopping is not re-armed
  CHECK(steps == 3);
  CHECK(beats == 6);
  CHECK(log.all().find("error counting: boom; maintd goes on") != std::string::npos);
}
