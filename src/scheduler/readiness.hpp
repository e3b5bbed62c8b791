#pragma once
// Whether `maintd serve` is ready (/readyz), judged from state kept up to date by the loop and
// by every call on the state database, never by asking the database: a probe must answer at
// once, also while the database does not (a stopped server would otherwise hold the probe, and
// the HTTP thread that runs it, for as long as the statement timeout).
#include <chrono>
#include <string>

#include "store/database.hpp"

namespace maintd::scheduler {

struct Readiness {
  bool ready = true;
  // Why not, in a word for anonymous callers (/readyz's "status"): "stopping", "unavailable"
  // (the state database does not answer), "unwritable" (it answers, but refuses writes: a
  // read-only file, a full disk) or "stalled" (the scheduling loop does not turn).
  std::string status;
  std::string reason;  // why not, for the log; names the database without its password
};

struct ReadinessInput {
  using Clock = std::chrono::steady_clock;
  Clock::time_point now;
  bool stopping = false;
  store::Database::Health database;
  std::string database_display;  // the state database as shown (no password)
  // How long the state database may go without answering a call before it counts as not
  // answering, and the loop without turning before it counts as stuck.
  std::chrono::milliseconds answer_allowance{0};
  Clock::time_point loop_beat;
  std::chrono::milliseconds loop_allowance{0};
  // The daemon's own periodic write (this instance's row, every heartbeat_interval) failed the
  // last time, and why: a database that answers reads but refuses every write cannot record a
  // run, so it is not ready either (issue 24.6).
  bool last_write_failed = false;
  std::string write_problem;
};

Readiness assess_readiness(const ReadinessInput& input);

}  // namespace maintd::scheduler
