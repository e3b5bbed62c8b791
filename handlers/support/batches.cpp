#include "handlers/support/batches.hpp"

#include <fmt/format.h>

namespace maintd::handlers {

nlohmann::json BatchTotals::to_json() const {
  return {{"batches", batches},
          {"longest_batch_ms", longest_batch.count()},
          {"stopped_early", stopped_early}};
}

BatchTotals run_in_batches(const registry::HandlerContext& context, TargetSql& sql,
                           long long batch_size, std::optional<long long> total,
                           const std::function<long long(TargetSql&)>& batch) {
  BatchTotals totals;
  for (;;) {
    if (context.stop_requested()) {
      totals.stopped_early = true;
      context.warning("stopped", fmt::format("cancelled after {} batch{} ({} rows)", totals.batches,
                                             totals.batches == 1 ? "" : "es", totals.rows));
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    // A plain BEGIN: every batch's first statement writes (the handlers read their candidates
    // on another connection, outside the transaction), so SQLite takes the write lock with its
    // busy timeout, and the moment between the read and the write stays open to the
    // application, as it is in production (the tests of that race depend on it).
    sql.session().begin();
    long long handled = 0;
    try {
      handled = batch(sql);
      sql.session().commit();
    } catch (...) {
      try {
        sql.session().rollback();
      } catch (const std::exception&) {
        // The connection is gone: the server rolls the transaction back with it.
      }
      throw;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    totals.longest_batch = std::max(totals.longest_batch, took);
    totals.rows += handled;
    ++totals.batches;
    context.log(registry::EventLevel::debug, "batch",
                fmt::format("batch {}: {} rows in {} ms", totals.batches, handled, took.count()));
    context.progress({totals.rows, total, "rows", totals.batches});
    if (handled < batch_size) break;
  }
  return totals;
}

}  // namespace maintd::handlers
