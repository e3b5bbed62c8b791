#pragma once
// A run's life, as an explicit state machine (DESIGN.md):
//
//   pending -> running -> completed | failed | timed_out | cancelled
//   running -> abandoned        (its heartbeat is older than the lease: process died or hung)
//   abandoned -> completed | failed   (a late finish is accepted: the database is the truth,
//                                      and work that finished is not reported as failed)
//   pending -> cancelled        (cancelled before it started)
//   pending -> skipped          (a one-off run, trigger once, not started: its time passed
//                                beyond the task's catch-up window, or concurrency: forbid
//                                found a run in progress when it came due)
//   pending -> abandoned        (claimed by an instance that died before a worker started it:
//                                a pending run holds a lease too, renewed by its claimer)
//   skipped                     (a slot not executed: overlap forbidden, misfire; recorded with
//                                the reason, never started)
//
// Every change is one conditional UPDATE (... WHERE id = ? AND status = ?), made in RunStore;
// can_transition() is the table it checks against.
#include <optional>
#include <string>
#include <string_view>

namespace maintd::store {

enum class RunStatus {
  pending,
  running,
  completed,
  failed,
  timed_out,
  cancelled,
  abandoned,
  skipped
};

std::string_view to_string(RunStatus status);
std::optional<RunStatus> parse_run_status(std::string_view text);
bool can_transition(RunStatus from, RunStatus to);
bool is_terminal(RunStatus status);  // completed, failed, timed_out, cancelled, skipped

// once: a one-off run (`maintd run TASK --at TIME`), recorded pending with its due_at and
// started by whichever daemon is up at that time.
enum class Trigger { schedule, manual, catchup, retry, once };
std::string_view to_string(Trigger trigger);
std::optional<Trigger> parse_trigger(std::string_view text);

}  // namespace maintd::store
