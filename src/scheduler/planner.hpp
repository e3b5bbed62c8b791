#pragma once
// The scheduler's decisions, without I/O or threads: given the tasks and the time, which slots
// fire now, which were missed, and when to wake next. The daemon (scheduler/daemon.hpp) reads
// the clock, asks the planner, and carries the answers out; tests drive the planner with any
// sequence of instants.
//
// Terms (DESIGN.md):
//   slot      - an instant at which a task's schedule fires.
//   fire time - the slot plus the task's jitter offset: when its run actually starts.
//   cursor    - per task, the last slot already dealt with (fired, coalesced or skipped). Only
//               slots after the cursor are ever considered, which is what keeps a slot from
//               firing twice when the wall clock goes backwards.
//   lateness  - now minus a slot's fire time.
//   on time   - lateness within kMisfireGrace: the slot runs as `schedule`, whatever the
//               task's catchup window (a busy machine wakes a little late; that is not a
//               misfire).
//
// What happens to the slots after the cursor that are due at `now`:
//   one slot, on time                       -> run it (trigger schedule)
//   several slots, or one that is late but  -> run the latest once (trigger catchup),
//     within max(catchup, grace)               the others coalesced into it
//   slots older than that window            -> one skipped run for the latest of them, with
//                                              the count and range in its reason
//
// The clock cases, named as the daemon meets them:
//   forward, small (a slow wake)            -> on time: fired normally.
//   forward, large (suspend, NTP step,      -> the slots in between are missed: catchup window
//     a stopped daemon restarting)             and skipped runs as above.
//   backward (NTP step, manual change)      -> the cursor is ahead of the clock: nothing fires
//                                              until the clock passes the cursor again, so no
//                                              slot fires twice.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "store/run_status.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

// A slot that is late by this much still counts as on time.
constexpr std::chrono::seconds kMisfireGrace{60};
// Missed slots are counted up to this many; beyond it the reason says "more than".
constexpr int kMissedCountLimit = 100000;

struct Firing {
  std::string task;
  Instant slot;  // the slot run (or, for a skip, the latest slot skipped)
  store::Trigger trigger = store::Trigger::schedule;
  bool skipped = false;  // record the slot as skipped with `reason`; run nothing
  std::string reason;    // for skips, and for coalesced catch-up runs
  int attempt = 1;
  // Slots held back while the state database was unavailable and folded into this one (the
  // daemon's coalescing; 1 and empty for a firing from the planner).
  int folded = 1;
  std::optional<Instant> folded_from = std::nullopt;
};

// A deterministic offset in [0, jitter) from the task's name, so a task's runs start at the
// same offset after each slot, on every instance, and tasks sharing a schedule spread out.
std::chrono::seconds jitter_offset(const std::string& task_name, std::chrono::seconds jitter);

class Planner {
 public:
  // Replaces the task set (start-up, reload). `now` is where slots of new, changed or
  // re-enabled tasks start from. A task whose schedule, zone and enabled state are unchanged
  // keeps its cursor. `last_slots` (from the state database, at start-up) sets the cursor of
  // tasks that ran before, so slots missed while maintd was down are caught up or skipped.
  void set_tasks(const std::vector<config::Task>& tasks, Instant now,
                 const std::map<std::string, Instant>& last_slots = {});
  // The same without a copy: the planner keeps `tasks` (shared with the daemon) alive.
  void set_shared_tasks(std::shared_ptr<const tasks::TaskSet> tasks, Instant now,
                        const std::map<std::string, Instant>& last_slots = {});

  // Everything due at `now`, in fire-time order, and the cursors moved past it.
  std::vector<Firing> due(Instant now);

  // A retry of `task` at `at` (attempt `attempt`), reported by due() once `at` has come.
  // False, and nothing planned, when the task is no longer in the set or is disabled: its run
  // was in flight when a reload or the table removed or disabled it.
  bool add_retry(const std::string& task, Instant at, int attempt, Instant original_slot);

  // When due() next has something to report; empty when nothing will ever fire.
  std::optional<Instant> next_wake() const;
  // The next slot of one task (for status lines), if it is scheduled.
  std::optional<Instant> next_slot(const std::string& task) const;
  // The task whose run starts next and that run's slot (for status lines; retries aside).
  std::optional<std::pair<std::string, Instant>> next_firing() const;

  std::size_t size() const { return owned_->size(); }

 private:
  // A task's place in time. entries_[i] belongs to (*owned_)[i]: a vector beside the task set,
  // not a map by name, because at 100,000 tasks the map and an ordered queue of names were
  // 161 bytes per task of the daemon's memory (bench/task_memory), the vector and heap 48.
  struct Entry {
    Instant cursor;                  // the last slot dealt with
    std::optional<Instant> next;     // the first slot after the cursor
    std::chrono::seconds offset{0};  // jitter
  };
  // A queued fire time: entries_[index]'s next slot plus its offset.
  struct Queued {
    Instant at;
    std::uint32_t index;
  };
  struct Retry {
    Instant at;
    std::string task;
    int attempt;
    Instant original_slot;
    bool operator<(const Retry& other) const {
      return at != other.at ? at < other.at : task < other.task;
    }
  };

  const config::Task& task_at(std::size_t index) const { return (*owned_)[index]; }
  void plan_task(std::size_t index, Instant now, std::vector<Firing>& out);
  void enqueue(std::size_t index);
  // The heap's order (std::push_heap and friends put the greatest on top): the earlier fire
  // time first; at the same time, the task name first.
  struct FiresAfter {
    const Planner* planner;
    bool operator()(const Queued& a, const Queued& b) const;
  };

  std::shared_ptr<const tasks::TaskSet> owned_ = std::make_shared<const tasks::TaskSet>();
  std::vector<Entry> entries_;
  // The priority queue of next fire times, earliest on top (std::push_heap/pop_heap with
  // FiresAfter). Each scheduled task is in it once.
  std::vector<Queued> queue_;
  std::multiset<Retry> retries_;
};

}  // namespace maintd::scheduler
