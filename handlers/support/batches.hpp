#pragma once
// Work done in batches, each its own short transaction: a long cleanup never holds locks on the
// application's tables for longer than one batch, stops cleanly between batches when the run is
// cancelled, and reports progress after each one.
#include <soci/session.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "handlers/support/target_sql.hpp"
#include "registry/handler.hpp"

namespace maintd::handlers {

struct BatchTotals {
  long long rows = 0;  // what the batches reported as handled, summed
  long long batches = 0;
  std::chrono::milliseconds longest_batch{0};
  bool stopped_early = false;  // the run was cancelled between batches

  // {"batches", "longest_batch_ms", "stopped_early"}: merged into a handler's result.
  nlohmann::json to_json() const;
};

// `max_per_run`: the rows one execution handles at most, whatever its batches. `batch_size`
// bounds a transaction (how long locks are held); this bounds a run (how much one run changes,
// and how long it takes), and leaves the rest to the next run. Rows count when the run changes
// them (a dry run: when it would), not when it reads them: a run that reads rows it leaves alone
// (resumable runs, rows changed meanwhile) must still get through to the ones after them.
class RunCap {
 public:
  // From a schema-checked config (max_per_run_key()): unset (absent, null or "") is no cap.
  explicit RunCap(const nlohmann::json& config);

  // The rows the run may still change; nothing when there is no cap.
  std::optional<long long> left() const;
  // The rows the next batch may handle: `batch_size`, or fewer when the cap is nearer.
  long long batch(long long batch_size) const;
  // Counts rows changed (or that a dry run would change).
  void add(long long rows) { changed_ += rows; }
  // Nothing is left under the cap: no further batch.
  bool reached() const;
  // Of `due` rows, those one run changes: all of them, or the cap's worth (a dry run's count).
  long long of(long long due) const;

  // The rows still due after a run whose batches are done: counted with `count_due` only when
  // the cap stopped it, and 0 otherwise (the run went through every row it found).
  long long remaining(const std::function<long long()>& count_due) const;
  // The result's fields, merged into it by every batching handler: {"max_per_run": the cap or
  // null, "capped": whether rows were left for the next run, "remaining": how many}. A capped
  // run says so in its log too.
  nlohmann::json result(const registry::HandlerContext& context, long long remaining) const;

 private:
  std::optional<long long> max_;
  long long changed_ = 0;
};

// Calls `batch` inside a transaction of its own, committed before the next call, with the rows
// it may handle (`cap.batch(batch_size)`), until it reports fewer rows handled than that, the cap
// is reached (the batch counts what it changed with cap.add()), or the run is cancelled (checked
// before each batch). A batch that throws rolls its own transaction back; earlier batches stay
// committed and the exception fails the run. `total`, when known, feeds the progress bar.
BatchTotals run_in_batches(const registry::HandlerContext& context, TargetSql& sql,
                           long long batch_size, std::optional<long long> total, RunCap& cap,
                           const std::function<long long(TargetSql&, long long limit)>& batch);

// What one batch of run_statement_batches did.
struct BatchStep {
  long long rows = 0;  // handled (changed): summed into the totals and the progress
  bool more = false;   // another batch follows
};

// Batches that are each one statement, run on its own (autocommit): the statement is the batch's
// transaction, with no BEGIN or COMMIT around it. Calls `batch` until it says no more follow or
// the run is cancelled (checked before each batch) or `cap` is reached (the batch counts what it
// changed with cap.add()), timing each one and reporting progress after it, as run_in_batches
// does; `between`, when given, runs after each batch that more follow, outside the batch and its
// timing. A batch that throws fails the run; its statement changed nothing (a statement is
// atomic) and earlier batches stay committed.
//
// Beside saving two round trips per batch, this matters on SQLite: inside an explicit transaction
// a statement that may fail halfway (one calling a function, such as julianday()) keeps a
// statement journal, a copy of every page it changes, so that it can be undone alone; on its own
// it needs none. That journal made a batched release of 200,000 claims a third slower
// (docs/benchmarks.md).
BatchTotals run_statement_batches(const registry::HandlerContext& context,
                                  std::optional<long long> total, const RunCap& cap,
                                  const std::function<BatchStep()>& batch,
                                  const std::function<void()>& between = {});

// For as long as it lives, makes the many small commits of a batched run on `sql`'s connection
// cost about what the single commit of one long statement costs, on SQLite in WAL mode. Only for
// work that a later run does again if a crash undoes it, as a release of expired claims is.
// - Commits are not synced to disk (synchronous=NORMAL: still atomic, and the database cannot be
//   corrupted; a power loss may undo the last batches).
// - The connection does not checkpoint the WAL after its commits (SQLite's default, every 1,000
//   pages) but between batches (between_batches()), once about kCheckpointPages pages have been
//   written since the last time, and once at the end: PASSIVE, never waiting for the application
//   nor holding up its writers, and outside any batch's transaction.
// On a busy disk the syncs of a 40-batch release (40 commits, 12 checkpoints) took longer than the
// rows' work (docs/benchmarks.md). The connection's own settings are restored at the end.
// Elsewhere it does nothing: with a rollback journal synchronous=NORMAL is not corruption-safe,
// and PostgreSQL's equivalent (synchronous_commit) set on a session could outlive the run on a
// connection pooler's shared server connection.
class RelaxedBatchCommits {
 public:
  static constexpr long long kCheckpointPages = 10000;  // 40 MB of WAL at 4 KiB pages

  explicit RelaxedBatchCommits(TargetSql& sql);
  ~RelaxedBatchCommits();
  RelaxedBatchCommits(const RelaxedBatchCommits&) = delete;
  RelaxedBatchCommits& operator=(const RelaxedBatchCommits&) = delete;

  // After a batch, outside it: checkpoints when it is due (SQLite in WAL mode).
  void between_batches();

 private:
  // PASSIVE; the pages the WAL held, or nothing when SQLite did not say.
  std::optional<long long> checkpoint();

  TargetSql& sql_;
  std::string synchronous_;  // the connection's settings; "": nothing changed
  std::string wal_autocheckpoint_;
  long long batches_since_checkpoint_ = 0;
  long long checkpoint_after_ = 1;  // batches; the first checkpoint measures pages per batch
};

}  // namespace maintd::handlers
