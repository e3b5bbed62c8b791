#include "handlers/support/batches.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "handlers/support/config_keys.hpp"

namespace maintd::handlers {

nlohmann::json BatchTotals::to_json() const {
  return {{"batches", batches},
          {"longest_batch_ms", longest_batch.count()},
          {"stopped_early", stopped_early}};
}

RunCap::RunCap(const nlohmann::json& config) : max_(optional_integer(config, "max_per_run")) {}

std::optional<long long> RunCap::left() const {
  if (!max_) return std::nullopt;
  return std::max(*max_ - changed_, 0LL);
}

long long RunCap::batch(long long batch_size) const {
  const auto room = left();
  return room ? std::min(batch_size, *room) : batch_size;
}

bool RunCap::reached() const {
  return max_ && changed_ >= *max_;
}

long long RunCap::of(long long due) const {
  return max_ ? std::min(due, *max_) : due;
}

long long RunCap::remaining(const std::function<long long()>& count_due) const {
  return reached() ? count_due() : 0;
}

nlohmann::json RunCap::result(const registry::HandlerContext& context, long long remaining) const {
  const bool capped = max_ && remaining > 0;
  if (capped) {
    context.info("capped", fmt::format("max_per_run ({}) reached: {} more row{} due, left for the "
                                       "next run",
                                       *max_, remaining, remaining == 1 ? "" : "s"));
  }
  return {{"max_per_run", max_ ? nlohmann::json(*max_) : nlohmann::json(nullptr)},
          {"capped", capped},
          {"remaining", capped ? remaining : 0}};
}

RelaxedBatchCommits::RelaxedBatchCommits(TargetSql& sql) : sql_(sql) {
  if (sql_.dialect() != Dialect::sqlite || sql_.column("PRAGMA journal_mode").at(0) != "wal") {
    return;
  }
  synchronous_ = sql_.column("PRAGMA synchronous").at(0);
  wal_autocheckpoint_ = sql_.column("PRAGMA wal_autocheckpoint").at(0);
  sql_.execute("PRAGMA synchronous = NORMAL");
  sql_.column("PRAGMA wal_autocheckpoint = 0");
}

RelaxedBatchCommits::~RelaxedBatchCommits() {
  if (synchronous_.empty()) return;
  try {
    sql_.execute(fmt::format("PRAGMA synchronous = {}", std::stoi(synchronous_)));
    sql_.column(fmt::format("PRAGMA wal_autocheckpoint = {}", std::stoi(wal_autocheckpoint_)));
    checkpoint();
  } catch (const std::exception&) {
    // The connection is gone: nothing to restore; the application's own connections checkpoint
    // the WAL when they next commit.
  }
}

std::optional<long long> RelaxedBatchCommits::checkpoint() {
  // One row: busy, the WAL's pages, the pages checkpointed.
  const auto rows = sql_.rows("PRAGMA wal_checkpoint(PASSIVE)");
  if (rows.empty() || rows[0].size() < 2 || rows[0][1].empty()) return std::nullopt;
  return std::stoll(rows[0][1]);
}

void RelaxedBatchCommits::between_batches() {
  if (synchronous_.empty() || ++batches_since_checkpoint_ < checkpoint_after_) return;
  const auto pages = checkpoint();
  // The next one when about kCheckpointPages more pages are written, at the rate seen since the
  // last one (the application's writes count too: it is the WAL's size that is bounded).
  const long long per_batch =
      std::max(pages.value_or(kCheckpointPages) / batches_since_checkpoint_, 1LL);
  checkpoint_after_ = std::max(kCheckpointPages / per_batch, 1LL);
  batches_since_checkpoint_ = 0;
}

BatchTotals run_statement_batches(const registry::HandlerContext& context,
                                  std::optional<long long> total, const RunCap& cap,
                                  const std::function<BatchStep()>& batch,
                                  const std::function<void()>& between) {
  BatchTotals totals;
  for (;;) {
    if (context.stop_requested()) {
      totals.stopped_early = true;
      context.warning("stopped", fmt::format("cancelled after {} batch{} ({} rows)", totals.batches,
                                             totals.batches == 1 ? "" : "es", totals.rows));
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    const BatchStep step = batch();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    totals.longest_batch = std::max(totals.longest_batch, took);
    totals.rows += step.rows;
    ++totals.batches;
    context.log(registry::EventLevel::debug, "batch",
                fmt::format("batch {}: {} rows in {} ms", totals.batches, step.rows, took.count()));
    context.progress({totals.rows, total, "rows", totals.batches});
    if (!step.more || cap.reached()) break;
    if (between) between();
  }
  return totals;
}

BatchTotals run_in_batches(const registry::HandlerContext& context, TargetSql& sql,
                           long long batch_size, std::optional<long long> total, RunCap& cap,
                           const std::function<long long(TargetSql&, long long limit)>& batch) {
  return run_statement_batches(context, total, cap, [&]() -> BatchStep {
    const long long limit = cap.batch(batch_size);
    // A plain BEGIN: every batch's first statement writes (the handlers read their candidates
    // on another connection, outside the transaction), so SQLite takes the write lock with its
    // busy timeout, and the moment between the read and the write stays open to the
    // application, as it is in production (the tests of that race depend on it).
    sql.session().begin();
    long long handled = 0;
    try {
      handled = batch(sql, limit);
      sql.session().commit();
    } catch (...) {
      try {
        sql.session().rollback();
      } catch (const std::exception&) {
        // The connection is gone: the server rolls the transaction back with it.
      }
      throw;
    }
    return {handled, handled >= limit};
  });
}

}  // namespace maintd::handlers
