// The pieces without a database: the state machine table, names, timestamps.
#include <doctest/doctest.h>

#include <set>
#include <utility>

#include "store/run_status.hpp"
#include "store/timestamp.hpp"

using namespace maintd::store;

TEST_CASE("store: run status: the transition table is the one in DESIGN.md (no database)") {
  const std::set<std::pair<RunStatus, RunStatus>> allowed = {
      {RunStatus::pending, RunStatus::running},   {RunStatus::pending, RunStatus::cancelled},
      {RunStatus::running, RunStatus::completed}, {RunStatus::running, RunStatus::failed},
      {RunStatus::running, RunStatus::timed_out}, {RunStatus::running, RunStatus::cancelled},
      {RunStatus::running, RunStatus::abandoned}, {RunStatus::abandoned, RunStatus::completed},
      {RunStatus::abandoned, RunStatus::failed},  {RunStatus::pending, RunStatus::abandoned},
      {RunStatus::pending, RunStatus::skipped},  // a one-off run not started
  };
  const RunStatus all[] = {RunStatus::pending,   RunStatus::running,   RunStatus::completed,
                           RunStatus::failed,    RunStatus::timed_out, RunStatus::cancelled,
                           RunStatus::abandoned, RunStatus::skipped};
  for (RunStatus from : all) {
    for (RunStatus to : all) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(can_transition(from, to) == (allowed.count({from, to}) == 1));
    }
    // Terminal states go nowhere; the others all go somewhere.
    bool any = false;
    for (RunStatus to : all) any = any || can_transition(from, to);
    CHECK(any == !is_terminal(from));
    CHECK(parse_run_status(to_string(from)) == from);
  }
  CHECK(is_terminal(RunStatus::skipped));
  CHECK_FALSE(is_terminal(RunStatus::abandoned));
  CHECK_FALSE(parse_run_status("Running"));
  CHECK_FALSE(parse_run_status(""));
  for (Trigger t :
       {Trigger::schedule, Trigger::manual, Trigger::catchup, Trigger::retry, Trigger::once}) {
    CHECK(parse_trigger(to_string(t)) == t);
  }
  CHECK_FALSE(parse_trigger("cron"));
}

TEST_CASE("store: timestamps: fixed-width UTC text with milliseconds, round trip (no database)") {
  const Timestamp at = *parse_timestamp("2026-03-29T01:00:00.000Z");
  CHECK(format_timestamp(at) == "2026-03-29T01:00:00.000Z");
  CHECK(format_timestamp(at + std::chrono::milliseconds(7)) == "2026-03-29T01:00:00.007Z");
  CHECK(format_timestamp(at - std::chrono::milliseconds(1)) == "2026-03-29T00:59:59.999Z");
  const maintd::Instant slot = std::chrono::time_point_cast<std::chrono::seconds>(at);
  CHECK(format_timestamp(slot) == "2026-03-29T01:00:00.000Z");
  CHECK(parse_timestamp("2026-03-29T00:59:59.999Z") == at - std::chrono::milliseconds(1));
  CHECK(format_timestamp(Timestamp{}) == "1970-01-01T00:00:00.000Z");
  CHECK_FALSE(parse_timestamp("2026-03-29 01:00:00"));
  CHECK_FALSE(parse_timestamp(""));
  CHECK_FALSE(parse_timestamp("yesterday"));
  const Timestamp now = system_clock()();
  CHECK(parse_timestamp(format_timestamp(now)) == now);
}
