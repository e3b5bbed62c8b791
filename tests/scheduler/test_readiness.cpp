// /readyz's judgement (scheduler/readiness.hpp): from what the state database's last calls and
// the loop left behind, never from a call of its own, so it answers while the database does not.
#include <doctest/doctest.h>

#include "scheduler/readiness.hpp"

using maintd::scheduler::assess_readiness;
using maintd::scheduler::ReadinessInput;
using namespace std::chrono_literals;

namespace {

ReadinessInput healthy() {
  ReadinessInput input;
  input.now = std::chrono::steady_clock::now();
  input.database.answering = true;
  input.database.last_answer = input.now - 1s;
  input.database.since = input.now - 1h;
  input.database_display = "postgresql://maintd@db/state";
  input.answer_allowance = 25s;
  input.loop_beat = input.now - 1s;
  input.loop_allowance = 60s;
  return input;
}

}  // namespace

TEST_CASE("readiness: ready while the database answers and the loop turns") {
  const auto readiness = assess_readiness(healthy());
  CHECK(readiness.ready);
  CHECK(readiness.reason.empty());
}

TEST_CASE("readiness: not ready, with the reason, when a call found the database not answering") {
  auto input = healthy();
  input.database.answering = false;
  input.database.since = input.now - 12s;
  input.database.problem =
      "claiming slots failed on the state database postgresql://maintd@db/state : no answer";
  const auto readiness = assess_readiness(input);
  CHECK_FALSE(readiness.ready);
  CHECK(readiness.reason.find("not answering (since 12s ago)") != std::string::npos);
  CHECK(readiness.reason.find(input.database.problem) != std::string::npos);
}

TEST_CASE("readiness: not ready when no call succeeded for longer than a call may take") {
  auto input = healthy();
  input.database.last_answer = input.now - 40s;
  const auto readiness = assess_readiness(input);
  CHECK_FALSE(readiness.ready);
  CHECK(readiness.reason ==
        "the state database postgresql://maintd@db/state has not answered for 40s");
}

TEST_CASE("readiness: not ready when the loop stopped turning, or maintd is stopping") {
  auto input = healthy();
  input.loop_beat = input.now - 90s;
  CHECK(assess_readiness(input).reason == "the scheduling loop has not turned for 1m30s");
  input = healthy();
  input.stopping = true;
  CHECK(assess_readiness(input).reason == "maintd is stopping");
}

TEST_CASE(
    "readiness: not ready, unwritable, when the last periodic write failed though reads pass") {
  auto input = healthy();
  input.last_write_failed = true;
  input.write_problem = "database or disk is full";
  const auto readiness = assess_readiness(input);
  CHECK_FALSE(readiness.ready);
  CHECK(readiness.status == "unwritable");
  CHECK(readiness.reason ==
        "the state database postgresql://maintd@db/state refuses writes: database or disk is full");
}
