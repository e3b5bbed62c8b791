#pragma once
// Batches by key range, for handlers that change many rows of a large table.
//
// KeySpans (integer keys): each batch is one conditional statement over a span of the key
// ("k >= :span_from AND k <= :span_to"), mostly with no read first: the table is walked once.
// The span is sized from what the batches before it did: grown or shrunk so that a batch changes
// about the rows asked for, and kept within a time budget. Batch sizes then follow the data
// rather than match it exactly. Where matching rows are sparse, spans grow long, and a long span
// could run into a stretch where every row matches; so a span longer than kUnreadSpanFactor times
// the rows asked for is read first, as KeyRange reads its pages, and ends where that many
// matching rows end. Without the read, a batch changes at most that many times the rows asked
// for (all of its keys).
//
// KeyRange (any ordered key, e.g. text or UUID): each batch first finds where its page of `size`
// matching rows ends, in key order after the previous page, then changes that key range with one
// conditional statement. Every row is looked at twice whatever the number of batches;
// re-selecting "the first N matching rows" each batch would rescan the rows already passed over,
// which made a million-row cleanup quadratic.
//
// The key must be unique and ordered (a primary key). Keys travel as text in KeyRange, like every
// id in handlers/support, and as integers in KeySpans.
#include <chrono>
#include <optional>
#include <string>

#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {

class KeySpans {
 public:
  // A span's statement should take about this long at most: spans grow (and shrink) towards the
  // rows asked for only while their statements stay within it.
  static constexpr std::chrono::milliseconds kTimeBudget{50};
  // A span grows at most this much from one batch to the next.
  static constexpr double kMaxGrowth = 4.0;
  // Spans of more keys than this times the rows asked for are read first (see above).
  static constexpr long long kUnreadSpanFactor = 8;

  // The integer key's walk, from its smallest to its largest value now (two look-ups at the ends
  // of the key's index), aiming at `target_rows` changed rows per span. Nothing when the key is not
  // an integer (PostgreSQL: smallint, integer or bigint; SQLite: integer values at both ends) or
  // the table is empty: use KeyRange then. `quoted_table` and `quoted_key` as quote_identifier()
  // returns them.
  static std::optional<KeySpans> open(TargetSql& sql, const std::string& quoted_table,
                                      const std::string& quoted_key, long long target_rows);

  // Moves to the next span; false when the walk is over. The first span has no lower bound and
  // the last no upper bound, so rows whose keys lie beyond the ends read at open() (inserted
  // since) are included too. A long span is first read (see above): it then ends at the key of
  // the target_rows-th row matching `condition` (whose values `params` binds), if it holds that
  // many. Reading takes no lock: the change that follows must test `condition` again.
  // `at_most`, when given, bounds the span's matching rows too (a run's cap, RunCap): a span that
  // could hold more (more keys, or open at an end) is read first and ends at its at_most-th.
  bool next(TargetSql& sql, const std::string& condition, const SqlParams& params,
            std::optional<long long> at_most = std::nullopt);
  // The current span as a condition on the key ("k >= :span_from AND k <= :span_to", either bound
  // absent at the ends; "1 = 1" when one span covers everything), and the values it binds.
  std::string condition() const;
  void bind(SqlParams& params) const;
  // Whether spans follow the current one.
  bool more() const { return !last_; }
  // What the current span did (the rows its statement changed, the time it took, its read
  // included): sizes the next span. Never below target_rows keys (which hold at most target_rows
  // rows): a slow statement does not make spans ever smaller.
  void done(long long changed, std::chrono::steady_clock::duration took);

  // Keys in the next span, before any read shortens it.
  long long span() const { return span_; }

 private:
  // Shortens the current span to end at the `rows`-th row matching `condition`, if it holds
  // that many.
  void end_at_row(TargetSql& sql, const std::string& condition, const SqlParams& params,
                  long long first, long long rows);

  KeySpans(std::string quoted_table, std::string quoted_key, long long min, long long max,
           long long target_rows);

  std::string table_;
  std::string key_;
  long long min_;
  long long max_;
  long long target_;
  long long span_;                  // keys in the next span
  long long used_ = 0;              // keys in the current span, as read shortened it
  std::optional<long long> start_;  // the next span's first key; none: the walk has not begun
  std::optional<long long> from_;   // the current span's bounds (none: open at that end)
  std::optional<long long> to_;
  bool last_ = false;  // the current span is the last one
  bool begun_ = false;
};

class KeyRange {
 public:
  // `quoted_table` and `quoted_key` as quote_identifier() returns them.
  KeyRange(std::string quoted_table, std::string quoted_key);

  // Finds the next page: the key of the `size`-th row matching `condition` (whose values
  // `params` binds) after the previous page. Returns false when fewer than `size` such rows are
  // left: the page then runs to the end of the key space, and it is the last one. Reading takes
  // no lock: the change that follows must test `condition` again, since rows may change between
  // the read and the write.
  bool next(TargetSql& sql, const std::string& condition, const SqlParams& params, long long size);

  // The page found last, as a condition on the key ("k > :key_after AND k <= :key_last", either
  // bound absent at the ends), and the values it binds.
  std::string condition() const;
  void bind(SqlParams& params) const;

 private:
  std::string table_;
  std::string key_;
  std::optional<std::string> after_;  // the last key of the page before the current one
  std::optional<std::string> last_;   // the last key of the current page; none: the last page
};

}  // namespace maintd::handlers
