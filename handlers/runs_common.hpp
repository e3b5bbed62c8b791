#pragma once
// What runs.cleanup_stale and runs.check_resume share: which runs are stale (status and age),
// which stale runs are resumable (progress columns, checkpoint files), the conditional UPDATEs
// that retry or fail a dead run, and the live check of the columns they name.
//
// Both handlers read candidates on a session of their own (autocommit) and change them on
// another, each UPDATE guarded by what was read (status, retry count, age, no progress): a run
// that completed, resumed or was retried by someone else in between is counted as
// `changed_meanwhile` and left as it is. Reading outside the write transaction also keeps the
// checkpoint files' stat() calls out of it, and on SQLite lets the first statement of each write
// transaction take the write lock (a read first would pin an old snapshot and fail with
// SQLITE_BUSY_SNAPSHOT instead of waiting when another writer committed meanwhile).
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "handlers/support/config_keys.hpp"
#include "handlers/support/results.hpp"
#include "handlers/support/target_sql.hpp"
#include "handlers/support/timestamps.hpp"
#include "registry/handler.hpp"
#include "registry/schema.hpp"

namespace maintd::handlers::runs {

using handlers::kMaxIdsInResult;  // how many ids of each kind a result lists

registry::HandlerInfo cleanup_stale_handler();
registry::HandlerInfo check_resume_handler();
registry::HandlerInfo cleanup_expired_handler();

// maintd's own terminal run statuses (store/run_status.hpp, is_terminal): the handlers library
// does not link the store, so they are listed here; a test holds the two lists equal.
const std::vector<std::string>& maintd_terminal_statuses();

// Config keys: the ones every runs.* handler on a target table takes, then the stale family's.
using handlers::key;
using handlers::optional_key;
std::vector<registry::KeySpec> stale_keys();
using handlers::batch_size_key;
using handlers::max_per_run_key;
using handlers::where_key;

// Appends `ids` to `list` up to kMaxIdsInResult.
void append_ids(nlohmann::json& list, const std::vector<std::string>& ids);

// "26.5 hours", "45 minutes", "3.2 days": an age for people.
std::string describe_age(double seconds);

// A non-terminal state a run can be stale in, with its threshold.
struct StaleState {
  std::string label;   // "submitted", "pending", "running": the config keys' names
  std::string status;  // the value in the status column
  std::chrono::milliseconds threshold;
  std::string threshold_text;  // as configured: "30 minutes", "24 hours"
  std::string cutoff_param;    // the bound parameter holding cutoff(now, threshold)
};

// The stale family's effective config, checked and quoted.
struct StaleConfig {
  std::string database;
  std::string table, table_q;
  std::string id_q, status_q, age_q;    // age_q: the age expression (COALESCE with updated_at)
  std::string updated_at_q;             // empty: not configured
  std::string completed_at_q, error_q;  // empty: unset, not written
  std::vector<std::string> progress_q;
  std::string checkpoint_path;  // template; empty: none
  std::string key_column_q;     // empty unless a key is configured or the template needs it
  std::string failed_status;
  std::string where;
  std::vector<StaleState> states;  // those with a non-empty status

  // Throws std::invalid_argument naming the key when the config cannot work (no status left,
  // an unknown placeholder in checkpoint_path).
  static StaleConfig from(const nlohmann::json& config, bool needs_key);

  const StaleState* state_of(const std::string& status) const;
  // Binds every state's status (:status_<label>) and cutoff (:cutoff_<label>). Only what a
  // statement uses may be bound: SQLite refuses a name the statement does not have.
  void bind_times(TargetSql& sql, SqlParams& params, Millis now) const;
  // `status` is one of the states and the run is older than its threshold.
  std::string stale_predicate(const TargetSql& sql) const;
  // `status` is one of the states (stale or not).
  std::string active_predicate() const;
  // 1 when any progress column is > 0, else 0 (0 when none is configured).
  std::string progressed_expression() const;
  // Every progress column is 0 or NULL (TRUE when none is configured).
  std::string no_progress_predicate() const;
  std::string user_where() const;  // " AND (<where>)" or ""
};

// A stale run as read, and why it is or is not resumable.
struct StaleRun {
  std::string id;
  std::string status;
  double age_seconds = 0;
  bool progressed = false;
  long long retries = 0;
  std::string key;
  std::string checkpoint;  // the expanded path, when configured
  bool has_checkpoint = false;

  bool resumable() const { return progressed || has_checkpoint; }
};

// The checkpoint template with {id} and {key} replaced.
std::string expand_checkpoint(const std::string& path_template, const std::string& id,
                              const std::string& key);
// The file exists, is a regular file and is not empty.
bool checkpoint_holds_data(const std::string& path);
void find_checkpoint(const StaleConfig& config, StaleRun& run);

// The conditional UPDATE marking a dead run with the failed status, and `completed_at` (now),
// `updated_at` (now) and `message` in the columns configured for them. Guarded by the status read,
// its age still over the threshold, no progress and (when `retries` is set) the retry count read.
// Returns whether this caller changed the row.
bool fail_run(TargetSql& sql, const StaleConfig& config, const StaleRun& run,
              const std::string& message, Millis now, const std::string& retry_count_q,
              std::optional<long long> retries);

// Why a stale run is dead, for the error column and the run's log.
std::string dead_reason(const StaleConfig& config, const StaleRun& run);

// check_database for the stale family: the table, every column named, the progress columns.
std::vector<registry::SchemaIssue> check_stale_columns(
    const nlohmann::json& config, const registry::HandlerContext::SessionFactory& sessions,
    bool needs_key, const std::vector<std::pair<std::string, std::string>>& extra_columns);

}  // namespace maintd::handlers::runs
