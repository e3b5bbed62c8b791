#pragma once
// Pauses: every daemon sharing the state database stops starting scheduled runs while one lasts
// (`maintd pause`, POST /api/v1/pause, the dashboard's button). The pause lives here, in the
// state database, not in a daemon: each daemon reads it when it claims slots, so a pause taken on
// one host holds on all of them.
//
// Terms:
//   pause         a row of maintd_pauses: who, when, why, and when it ends.
//   current       the pause not resumed whose `until` has not come (or that has none): at most
//                 one at a time (pause() is serialized: a second pause() while one lasts
//                 changes it instead of adding another).
//   end           resumed_at, else until; none while it lasts until a resume.
//   paused run    the one skipped run that stands for a task's slots inside one pause: the
//                 first slot inserts it (UNIQUE (task_name, pause_id): one instance wins), each
//                 later one moves it on (its scheduled_for becomes the latest slot, its reason
//                 and result say how many slots and from when to when). One record per task per
//                 pause instead of one per slot: a 5-second task paused for an hour would
//                 otherwise bury its history under 720 identical lines.
//
// Pauses are kept after they end: a slot is judged by the pause it fell in, even by a daemon
// that was down during the pause and catches up afterwards (scheduler/pause_gate.hpp).
// Whether a pause lasts is judged on the caller's clock (the injectable Clock), as slots are.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/instant.hpp"
#include "store/database.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

using PauseId = std::int64_t;

struct PauseRecord {
  PauseId id = 0;
  Timestamp paused_at{};
  std::string paused_by;
  std::string reason;                   // may be empty
  std::optional<Timestamp> until;       // `--for`: when it ends by itself
  std::optional<Timestamp> resumed_at;  // ended early by a resume
  std::string resumed_by;

  // When it ended or ends: resumed_at, else until; empty while it lasts until a resume.
  std::optional<Timestamp> end() const;
  // paused_at <= at < end.
  bool covers(Timestamp at) const;
  bool lasts_at(Timestamp now) const { return !end() || now < *end(); }
};

// Every member has an initializer, for designated initializers (see HistoryFilter).
struct PauseRequest {
  std::string by = {};      // "alice@db1", "the admin API"
  std::string reason = {};  // may be empty
  std::optional<Timestamp> until = std::nullopt;
};

struct PauseOutcome {
  PauseRecord pause;
  // A pause was current already: its `by`, reason and until were replaced (its start kept).
  bool changed_current = false;
};

// A firing of a task that falls inside pause `pause_id`, to be recorded in that pause's one
// skipped run of the task.
struct PausedFiring {
  std::string task_name;
  std::string task_type;
  PauseId pause_id = 0;
  Instant slot;
  // The skipped run's reason (`error`) and result for the slots from `first` to `last` (the
  // store knows no schedules: the caller counts them).
  std::function<std::pair<std::string, nlohmann::json>(Instant first, Instant last)> describe;
};

// What record_paused() did with one firing.
enum class PausedRecord {
  created,    // this call inserted the task's record of the pause
  moved_on,   // this call moved it on to the firing's slot
  unchanged,  // another instance had recorded this slot (or a later one) already, or the slot
              // has a run of its own (claimed before the pause)
};

class PauseStore {
 public:
  PauseStore(std::shared_ptr<Database> database, Clock clock);

  // Pauses every daemon, or changes the current pause (see PauseOutcome). One transaction,
  // serialized against other pause() calls (SQLite's write lock, a PostgreSQL advisory lock).
  PauseOutcome pause(const PauseRequest& request);
  // Ends the current pause now; the pause as ended, or empty when none was current.
  std::optional<PauseRecord> resume(const std::string& by);
  // The current pause, if any.
  std::optional<PauseRecord> current();
  // Every pause that had not ended by `from` (the current one included), oldest first.
  std::vector<PauseRecord> since(Timestamp from);
  // One transaction for all of them. Returns what became of each, in order.
  std::vector<PausedRecord> record_paused(const std::vector<PausedFiring>& firings);

 private:
  std::shared_ptr<Database> database_;
  Clock clock_;
};

}  // namespace maintd::store
