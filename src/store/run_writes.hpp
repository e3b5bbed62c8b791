#pragma once
// Internal to the store: the statements that record a run in progress (its start, its events,
// its finish), on a session the caller holds. RunStore writes one record per session use;
// RunJournal writes a batch of them in one transaction. One text of each statement, whoever
// commits it.
#include <soci/soci.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "store/run_status.hpp"

namespace maintd::store {

struct Worker;
struct NewRun;
using RunId = std::int64_t;

namespace run_writes {

// Prepares a statement for one execution: on PostgreSQL one round trip (PQexecParams) instead
// of three for a named prepared statement (prepare, execute, deallocate); SQLite prepares either
// way.
inline void prepare_once(soci::statement& st, const std::string& query) {
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
}

// Runs a statement that changes rows; returns how many it changed.
template <class... Uses>
long long execute_update(soci::session& sql, const std::string& query, Uses&&... uses) {
  soci::statement st(sql);
  (st.exchange(std::forward<Uses>(uses)), ...);
  prepare_once(st, query);
  st.execute(true);
  return st.get_affected_rows();
}

// Runs `body()` in one transaction and commits it; rolls back and rethrows when it throws. On
// SQLite BEGIN IMMEDIATE: the write lock is taken up front (waiting out the busy timeout), not
// at the first write, where a deferred transaction could fail without waiting. `body` must
// finalize its statements before it returns (SQLite commits no transaction with one open).
template <class Body>
void in_write_transaction(soci::session& sql, Dialect dialect, Body&& body) {
  sql << (dialect == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  try {
    body();
    sql << "COMMIT";
  } catch (...) {
    try {
      sql << "ROLLBACK";
    } catch (const std::exception&) {
      // The connection is gone; the transaction went with it.
    }
    throw;
  }
}

// Throws std::logic_error unless `outcome` may end a run (a caller's bug, found before any
// statement runs).
void check_final(RunStatus outcome);

// Writes starts, finishes and events on one session. Each statement is prepared at its first
// use and executed again for the next record of its kind: a batch of a thousand records costs
// three prepares, not a thousand. Statements are finalized when the writer is destroyed (before
// the caller commits). `reuse` false: every statement is prepared for one execution (one round
// trip on PostgreSQL), for a writer that writes a single record.
class RunWriter {
 public:
  RunWriter(soci::session& sql, const Database& database, bool reuse);
  ~RunWriter();
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // Claims a slot by inserting its run (created at `now`): UNIQUE (task_name, scheduled_for)
  // lets one caller win; the others get nothing. A run without a slot is always inserted.
  std::optional<RunId> claim(const NewRun& run, const std::string& now);
  // claim() for each run, in (task_name, scheduled_for) order, so that two instances claiming
  // overlapping batches on PostgreSQL take the unique index's locks in the same order (no
  // deadlock). Returns the ids in the order of `runs`.
  std::vector<std::optional<RunId>> claim_all(const std::vector<NewRun>& runs,
                                              const std::string& now);

  // pending -> running, started at `at` (the instance's clock), the lease from the database's
  // clock. Whether this caller won.
  bool start(RunId id, const Worker& worker, const std::string& at);
  // running (or abandoned, when `outcome` may end an abandoned run) -> outcome. `error` empty
  // is NULL. Whether this caller won.
  bool finish(RunId id, RunStatus outcome, const std::string& result, const std::string& error,
              const std::string& at);
  void add_event(RunId id, const std::string& level, const std::string& event,
                 const std::string& message, const std::string& at);

 private:
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

}  // namespace run_writes
}  // namespace maintd::store
