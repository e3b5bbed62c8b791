#pragma once
// Work done in batches, each its own short transaction: a long cleanup never holds locks on the
// application's tables for longer than one batch, stops cleanly between batches when the run is
// cancelled, and reports progress after each one.
#include <soci/session.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

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

// Calls `batch` inside a transaction of its own, committed before the next call, until it
// reports fewer than `batch_size` rows handled or the run is cancelled (checked before each
// batch). A batch that throws rolls its own transaction back; earlier batches stay committed and
// the exception fails the run. `total`, when known, feeds the progress bar.
BatchTotals run_in_batches(const registry::HandlerContext& context, TargetSql& sql,
                           long long batch_size, std::optional<long long> total,
                           const std::function<long long(TargetSql&)>& batch);

}  // namespace maintd::handlers
