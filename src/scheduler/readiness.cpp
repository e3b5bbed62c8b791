#include "scheduler/readiness.hpp"

#include <fmt/format.h>

#include "common/duration.hpp"

namespace maintd::scheduler {
namespace {

std::string ago(std::chrono::steady_clock::duration elapsed) {
  return format_duration(std::chrono::duration_cast<std::chrono::seconds>(elapsed));
}

}  // namespace

Readiness assess_readiness(const ReadinessInput& input) {
  if (input.stopping) return {false, "stopping", "maintd is stopping"};
  if (!input.database.answering) {
    return {false, "unavailable",
            fmt::format("the state database is not answering (since {} ago): {}",
                        ago(input.now - input.database.since), input.database.problem)};
  }
  // Answering as far as the last call knew, but no call has succeeded for longer than any call
  // may take: the ones under way are waiting for a server that does not answer.
  if (input.now - input.database.last_answer > input.answer_allowance) {
    return {false, "unavailable",
            fmt::format("the state database {} has not answered for {}", input.database_display,
                        ago(input.now - input.database.last_answer))};
  }
  if (input.now - input.loop_beat > input.loop_allowance) {
    return {
        false, "stalled",
        fmt::format("the scheduling loop has not turned for {}", ago(input.now - input.loop_beat))};
  }
  if (input.last_write_failed) {
    return {false, "unwritable",
            fmt::format("the state database {} refuses writes: {}", input.database_display,
                        input.write_problem)};
  }
  return {};
}

}  // namespace maintd::scheduler
