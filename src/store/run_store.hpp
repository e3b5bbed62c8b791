#pragma once
// Runs and their events: the contract the daemon and the handlers build on. Every state change
// is one conditional UPDATE (... WHERE id = ? AND status = ?): atomic, idempotent, and its row
// count says whether this caller won.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/instant.hpp"
#include "store/database.hpp"
#include "store/run_status.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

using RunId = std::int64_t;

struct RunRecord {
  RunId id = 0;
  std::string task_name;
  std::string task_type;
  Trigger trigger = Trigger::manual;
  std::optional<Instant> scheduled_for;  // empty for manual runs
  RunStatus status = RunStatus::pending;
  int attempt = 1;
  bool dry_run = false;
  nlohmann::json config;
  std::string instance_id;
  std::string host;
  long long pid = 0;
  std::optional<Timestamp> heartbeat_at;
  Timestamp created_at{};
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> finished_at;
  nlohmann::json result;          // null until finished
  std::string error;              // the failure, or why a slot was skipped
  std::optional<Instant> due_at;  // a one-off run (trigger once): when it is to start
};

struct RunEvent {
  std::int64_t id = 0;
  RunId run_id = 0;
  Timestamp at{};
  std::string level;  // debug, info, warning, error
  std::string event;  // a short machine name: "start", "batch", "complete"
  std::string message;
};

struct NewRun {
  std::string task_name;
  std::string task_type;  // canonical
  Trigger trigger = Trigger::manual;
  std::optional<Instant> scheduled_for;
  int attempt = 1;
  bool dry_run = false;
  nlohmann::json config = nlohmann::json::object();
  RunStatus status = RunStatus::pending;  // or skipped, with the reason in `error`
  std::string error;
  std::optional<Instant> due_at = std::nullopt;  // a one-off run: when it is to start
};

// Who executes a run (recorded when it starts).
struct Worker {
  std::string instance_id;
  std::string host;
  long long pid = 0;
};

// Every member has an initializer so that designated initializers may leave any of them out
// (g++ 12 warns otherwise): runs.history({.task = "a.b", .limit = 10}).
struct HistoryFilter {
  std::optional<std::string> task = std::nullopt;
  std::optional<RunStatus> status = std::nullopt;
  std::optional<Trigger> trigger = std::nullopt;
  std::optional<Timestamp> since = std::nullopt;  // created at or after
  std::optional<RunId> before_id = std::nullopt;  // cursor paging: runs older than this one
  int limit = 50;
};

class RunStore {
 public:
  RunStore(std::shared_ptr<Database> database, Clock clock);

  // Claims a scheduled slot by inserting its run. UNIQUE (task_name, scheduled_for) lets exactly
  // one caller win across processes and hosts: the winner gets the id, the others nothing.
  std::optional<RunId> claim_slot(const NewRun& run);
  // Claims several slots in one transaction (the daemon's firings of one tick): the same insert
  // as claim_slot() for each run, prepared once, one commit for all. Returns, in the order of
  // `runs`, each run's id, or nothing where another caller had claimed the slot. The rows are
  // inserted in (task_name, scheduled_for) order, so that two instances claiming overlapping
  // batches on PostgreSQL take the unique index's locks in the same order (no deadlock). All or
  // nothing: on a failure nothing is claimed and the error is thrown.
  std::vector<std::optional<RunId>> claim_slots(const std::vector<NewRun>& runs);
  // A run without a slot (manual): always inserted.
  RunId create_run(const NewRun& run);

  bool start(RunId id, const Worker& worker);  // pending -> running
  // running (or abandoned, for completed/failed) -> outcome, with the result and error.
  bool finish(RunId id, RunStatus outcome, const nlohmann::json& result, const std::string& error);
  bool heartbeat(RunId id);  // renews heartbeat_at of a pending or running run
  bool transition(RunId id, RunStatus from, RunStatus to, const std::string& error = {});
  // Marks running runs whose heartbeat is older than `lease` as abandoned; returns their ids.
  // A one-off run waiting for its time holds no lease (nobody has claimed it yet): never.
  std::vector<RunId> abandon_expired(std::chrono::seconds lease);

  void add_event(RunId id, const std::string& level, const std::string& event,
                 const std::string& message);

  std::optional<RunRecord> get(RunId id);
  std::vector<RunEvent> events(RunId id);
  std::vector<RunRecord> history(const HistoryFilter& filter);
  // Runs of a task that are pending or running (for concurrency: forbid). A one-off run waiting
  // for its time (pending, trigger once) is not in progress: it is not among them.
  std::vector<RunRecord> active_runs(const std::string& task_name);
  // Every run that is pending or running, of any task, oldest first (the daemon's concurrency
  // check for all the firings of one tick, in one query). Without waiting one-off runs.
  std::vector<RunRecord> active_runs();
  // One-off runs waiting for their time (pending, trigger once), the earliest due first, of one
  // task or of all; at most `limit`.
  std::vector<RunRecord> pending_one_offs(const std::optional<std::string>& task = std::nullopt,
                                          int limit = 1000);
  // Per task, its latest run that was not a skipped slot (what a task list shows as "last
  // run"), for every task with one. One query however many tasks. `light`: read as
  // recent_runs() reads them (no config, the result's top-level members only): the dashboard's
  // counts over 100,000 tasks need their status, not their ids.
  std::map<std::string, RunRecord> latest_runs(bool light = false);
  // Per task, when its latest completed run finished (the "last success" of metrics and of
  // expect_success_within), for every task with one. Dry runs count: they ran to completion.
  std::map<std::string, Timestamp> last_successes();
  // Per task of `tasks`, its newest runs (by creation; skipped slots included), newest first: at
  // most `per_task` each, created at or after `since` when given. One query for up to 100 tasks
  // (more are read 100 at a time), each task's part an index range of maintd_runs_by_task, so
  // the cost is the runs returned, not the runs kept. Tasks without runs are absent. The runs'
  // `config` is left empty (the views that ask for many runs do not show it), and their
  // `result` keeps its top-level members only: a nested array as that many nulls (its length
  // may be a count), a nested object as {}.
  std::map<std::string, std::vector<RunRecord>> recent_runs(
      const std::vector<std::string>& tasks, int per_task,
      std::optional<Timestamp> since = std::nullopt);

  Database& database() { return *database_; }

 private:
  std::shared_ptr<Database> database_;
  Clock clock_;
};

}  // namespace maintd::store
