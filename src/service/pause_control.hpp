#pragma once
// Pausing and resuming every daemon: written once for `maintd pause|resume`, the admin API
// (POST /api/v1/pause, /api/v1/resume) and the dashboard's button. What is checked (a duration
// that makes sense, a reason on one line) and how a pause is described are decided here; each
// interface says it in its own words. Whether a pause lasts, and what it does to slots and
// one-off runs, is the scheduler's (scheduler/pause_gate.hpp, scheduler/one_off_runs.hpp).
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/expected.hpp"
#include "store/pause_store.hpp"

namespace maintd::service {

using store::PauseOutcome;
using store::PauseRecord;

// The longest pause with an end (`--for`); longer is a mistake more often than not (a pause
// without --for lasts until a resume).
constexpr std::chrono::hours kLongestPause{24 * 365};
// The longest reason kept.
constexpr std::size_t kLongestReason = 500;

struct PauseAsk {
  std::string by;      // who asks: "alice@db1", "the admin API", "the dashboard"
  std::string reason;  // may be empty
  std::optional<std::chrono::seconds> duration = std::nullopt;  // `--for`
};

// Pauses every daemon sharing `pauses`' state database (or changes the current pause), with the
// end `now + duration`. Refused, with the reason and nothing written: a duration of 0 or more
// than kLongestPause, a reason longer than kLongestReason or not on one line. Throws
// store::StoreError when the state database fails.
Expected<PauseOutcome, std::string> pause_everything(store::PauseStore& pauses, const PauseAsk& ask,
                                                     store::Timestamp now);
// Ends the current pause; empty when there was none. Throws store::StoreError.
std::optional<PauseRecord> resume_everything(store::PauseStore& pauses, const std::string& by);

// "paused by alice@db1 since 2026-12-08T01:00:00Z until 2026-12-08T01:30:00Z: deploy"
std::string describe_pause(const PauseRecord& pause);
// {"paused": true, "paused_by": ..., "paused_at": ..., "until": ... | null, "reason": ...,
// "id": ...}, or {"paused": false} (docs/json-output.md).
nlohmann::json pause_to_json(const std::optional<PauseRecord>& pause);

}  // namespace maintd::service
