// Pauses (pause_store.hpp).
#include "store/pause_store.hpp"

#include <fmt/format.h>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/utf8.hpp"
#include "store/run_writes.hpp"
#include "store/store_error.hpp"

namespace maintd::store {
namespace {

using run_writes::execute_update;
using run_writes::prepare_once;

constexpr const char* kPauseColumns =
    "id, paused_at, paused_by, reason, until_at, resumed_at, resumed_by";
// The current pause at :now (bound once).
constexpr const char* kCurrent =
    "resumed_at IS NULL AND (until_at IS NULL OR until_at > :now) ORDER BY id DESC LIMIT 1";
// pause() callers on PostgreSQL wait for each other on this transaction-level advisory lock
// ("maintdpause" in ASCII, short of 64 bits): two `maintd pause` at once add one pause, not two.
constexpr long long kPauseLockKey = 0x6d61696e7464'7061LL;

struct PauseRow {
  long long id = 0;
  std::string paused_at, paused_by, reason, until_at, resumed_at, resumed_by;
  soci::indicator until_ind{}, resumed_ind{}, resumed_by_ind{};

  void bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(paused_at));
    st.exchange(soci::into(paused_by));
    st.exchange(soci::into(reason));
    st.exchange(soci::into(until_at, until_ind));
    st.exchange(soci::into(resumed_at, resumed_ind));
    st.exchange(soci::into(resumed_by, resumed_by_ind));
  }
  PauseRecord record() const {
    PauseRecord r;
    r.id = id;
    r.paused_at = parse_timestamp(paused_at).value_or(Timestamp{});
    r.paused_by = paused_by;
    r.reason = reason;
    if (until_ind == soci::i_ok) r.until = parse_timestamp(until_at);
    if (resumed_ind == soci::i_ok) r.resumed_at = parse_timestamp(resumed_at);
    if (resumed_by_ind == soci::i_ok) r.resumed_by = resumed_by;
    return r;
  }
};

template <class... Uses>
std::vector<PauseRecord> select_pauses(soci::session& sql, const std::string& where,
                                       Uses&&... uses) {
  PauseRow row;
  soci::statement st(sql);
  row.bind(st);
  (st.exchange(std::forward<Uses>(uses)), ...);
  prepare_once(st, fmt::format("SELECT {} FROM maintd_pauses WHERE {}", kPauseColumns, where));
  std::vector<PauseRecord> out;
  if (st.execute(true)) {
    do {
      out.push_back(row.record());
    } while (st.fetch());
  }
  return out;
}

std::optional<PauseRecord> current_pause(soci::session& sql, const std::string& now) {
  auto found = select_pauses(sql, kCurrent, soci::use(now));
  if (found.empty()) return std::nullopt;
  return found.front();
}

// The first slot a task's record of a pause stands for (its result's `first_slot`), when the
// record is there.
struct ExistingRecord {
  long long id = 0;
  std::optional<Instant> first_slot;
};

std::optional<ExistingRecord> find_record(soci::session& sql, const PausedFiring& firing) {
  long long id = 0;
  std::string result;
  soci::indicator result_ind{};
  long long pause = firing.pause_id;
  soci::statement st(sql);
  st.exchange(soci::into(id));
  st.exchange(soci::into(result, result_ind));
  st.exchange(soci::use(firing.task_name));
  st.exchange(soci::use(pause));
  prepare_once(st, "SELECT id, result FROM maintd_runs WHERE task_name = :t AND pause_id = :p");
  if (!st.execute(true)) return std::nullopt;
  ExistingRecord out;
  out.id = id;
  if (result_ind == soci::i_ok) {
    if (auto parsed = parse_json(result); parsed && parsed.value().is_object()) {
      const auto& first = parsed.value()["first_slot"];
      if (first.is_string()) {
        if (auto at = parse_timestamp(first.get<std::string>())) {
          out.first_slot = std::chrono::time_point_cast<std::chrono::seconds>(*at);
        }
      }
    }
  }
  return out;
}

}  // namespace

std::optional<Timestamp> PauseRecord::end() const {
  if (resumed_at) return resumed_at;
  return until;
}

bool PauseRecord::covers(Timestamp at) const {
  const auto ends = end();
  return paused_at <= at && (!ends || at < *ends);
}

PauseStore::PauseStore(std::shared_ptr<Database> database, Clock clock)
    : database_(std::move(database)), clock_(std::move(clock)) {}

PauseOutcome PauseStore::pause(const PauseRequest& request) {
  return database_->with_session("pausing", [&](soci::session& sql) {
    PauseOutcome outcome;
    const std::string now = format_timestamp(clock_());
    std::string by = valid_utf8(request.by), reason = valid_utf8(request.reason);
    std::string until = request.until ? format_timestamp(*request.until) : "";
    soci::indicator until_ind = request.until ? soci::i_ok : soci::i_null;
    run_writes::in_write_transaction(sql, database_->dialect(), [&] {
      if (database_->dialect() == Dialect::postgresql) {
        sql << "SELECT pg_advisory_xact_lock(" << kPauseLockKey << ")";
      }
      long long id = 0;
      if (const auto current = current_pause(sql, now)) {
        id = current->id;
        execute_update(sql,
                       "UPDATE maintd_pauses SET paused_by = :by, reason = :reason, until_at = "
                       ":until WHERE id = :id",
                       soci::use(by), soci::use(reason), soci::use(until, until_ind),
                       soci::use(id));
        outcome.changed_current = true;
      } else {
        soci::statement st(sql);
        st.exchange(soci::into(id));
        st.exchange(soci::use(now));
        st.exchange(soci::use(by));
        st.exchange(soci::use(reason));
        st.exchange(soci::use(until, until_ind));
        prepare_once(st,
                     "INSERT INTO maintd_pauses (paused_at, paused_by, reason, until_at) VALUES "
                     "(:now, :by, :reason, :until) RETURNING id");
        st.execute(true);
      }
      auto rows = select_pauses(sql, "id = :id", soci::use(id));
      if (rows.empty()) throw StoreError("pausing: the pause just written is not there");
      outcome.pause = std::move(rows.front());
    });
    return outcome;
  });
}

std::optional<PauseRecord> PauseStore::resume(const std::string& by) {
  return database_->with_session("resuming", [&](soci::session& sql) -> std::optional<PauseRecord> {
    const std::string now = format_timestamp(clock_());
    std::string who = valid_utf8(by);
    long long id = 0;
    soci::statement st(sql);
    st.exchange(soci::into(id));
    st.exchange(soci::use(now));
    st.exchange(soci::use(who));
    st.exchange(soci::use(now));
    // One conditional UPDATE: of two resumes at once, one ends the pause, the other finds none.
    prepare_once(st,
                 "UPDATE maintd_pauses SET resumed_at = :now, resumed_by = :by WHERE resumed_at "
                 "IS NULL AND (until_at IS NULL OR until_at > :now2) RETURNING id");
    if (!st.execute(true)) return std::nullopt;
    auto rows = select_pauses(sql, "id = :id", soci::use(id));
    if (rows.empty()) return std::nullopt;
    return rows.front();
  });
}

std::optional<PauseRecord> PauseStore::current() {
  return database_->with_session("reading the pause", [&](soci::session& sql) {
    return current_pause(sql, format_timestamp(clock_()));
  });
}

std::vector<PauseRecord> PauseStore::since(Timestamp from) {
  return database_->with_session("reading the pauses", [&](soci::session& sql) {
    const std::string at = format_timestamp(from);
    return select_pauses(sql,
                         "(resumed_at IS NULL OR resumed_at > :a) AND (until_at IS NULL OR "
                         "until_at > :b) ORDER BY id",
                         soci::use(at), soci::use(at));
  });
}

std::vector<PausedRecord> PauseStore::record_paused(const std::vector<PausedFiring>& firings) {
  std::vector<PausedRecord> out(firings.size(), PausedRecord::unchanged);
  if (firings.empty()) return out;
  return database_->with_session("recording paused slots", [&](soci::session& sql) {
    const std::string now = format_timestamp(clock_());
    run_writes::in_write_transaction(sql, database_->dialect(), [&] {
      for (std::size_t i = 0; i < firings.size(); ++i) {
        const PausedFiring& firing = firings[i];
        const std::string slot = format_timestamp(firing.slot);
        long long pause = firing.pause_id;
        {
          auto [error, result] = firing.describe(firing.slot, firing.slot);
          error = valid_utf8(error);
          std::string result_text = json_text(result);
          long long id = 0;
          soci::statement st(sql);
          st.exchange(soci::into(id));
          st.exchange(soci::use(firing.task_name));
          st.exchange(soci::use(firing.task_type));
          st.exchange(soci::use(slot));
          st.exchange(soci::use(now));
          st.exchange(soci::use(now));
          st.exchange(soci::use(error));
          st.exchange(soci::use(result_text));
          st.exchange(soci::use(pause));
          // Either unique index may refuse it: (task_name, pause_id) when another instance
          // recorded the pause first, (task_name, scheduled_for) when the slot has a run.
          prepare_once(st,
                       "INSERT INTO maintd_runs (task_name, task_type, trigger_type, "
                       "scheduled_for, status, config, created_at, finished_at, error, result, "
                       "pause_id) VALUES (:t, :type, 'schedule', :slot, 'skipped', '{}', :now, "
                       ":fin, :error, :result, :pause) ON CONFLICT DO NOTHING RETURNING id");
          if (st.execute(true)) {
            out[i] = PausedRecord::created;
            continue;
          }
        }
        const auto existing = find_record(sql, firing);
        if (!existing) continue;  // the slot has a run of its own; the next slot records it
        auto [error, result] =
            firing.describe(existing->first_slot.value_or(firing.slot), firing.slot);
        error = valid_utf8(error);
        std::string result_text = json_text(result);
        long long id = existing->id;
        // Forward only (of two instances, the later slot stays), and never onto a slot that
        // has a run of its own (UNIQUE (task_name, scheduled_for)).
        const long long moved = execute_update(
            sql,
            "UPDATE maintd_runs SET scheduled_for = :slot, error = :error, result = :result, "
            "finished_at = :now WHERE id = :id AND scheduled_for < :slot2 AND NOT EXISTS "
            "(SELECT 1 FROM maintd_runs o WHERE o.task_name = :t AND o.scheduled_for = :slot3)",
            soci::use(slot), soci::use(error), soci::use(result_text), soci::use(now),
            soci::use(id), soci::use(slot), soci::use(firing.task_name), soci::use(slot));
        if (moved == 1) out[i] = PausedRecord::moved_on;
      }
    });
    return out;
  });
}

}  // namespace maintd::store
