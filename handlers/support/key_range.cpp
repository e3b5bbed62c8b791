#include "handlers/support/key_range.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

namespace maintd::handlers {
namespace {

// Keys in a span at most (about 2^62): spans and their products stay far from overflowing.
constexpr unsigned long long kMaxSpan = 4'000'000'000'000'000'000ULL;

std::optional<long long> parse_integer(const std::string& text) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The key at one end of the key order, if it is an integer.
std::optional<long long> integer_end(TargetSql& sql, const std::string& table,
                                     const std::string& key, bool largest) {
  // The key's type as the backend sees it: PostgreSQL's column type; SQLite's type of each value
  // (values of several types sort integers and reals first, then text: integers at both ends
  // mean no text in between). Ordered by the qualified name: PostgreSQL would otherwise sort by
  // the output column, the key as text.
  const bool postgres = sql.dialect() == Dialect::postgresql;
  const auto rows = sql.rows(fmt::format(
      "SELECT {}, {} FROM {} WHERE {} IS NOT NULL ORDER BY {}.{}{} LIMIT 1",
      postgres ? fmt::format("CAST(pg_typeof({}) AS TEXT)", key) : fmt::format("typeof({})", key),
      sql.as_text(key), table, key, table, key, largest ? " DESC" : ""));
  if (rows.empty()) return std::nullopt;
  const auto& type = rows[0][0];
  const bool integer =
      postgres ? (type == "smallint" || type == "integer" || type == "bigint") : type == "integer";
  if (!integer) return std::nullopt;
  return parse_integer(rows[0][1]);
}

}  // namespace

std::optional<KeySpans> KeySpans::open(TargetSql& sql, const std::string& quoted_table,
                                       const std::string& quoted_key, long long target_rows) {
  const auto min = integer_end(sql, quoted_table, quoted_key, false);
  if (!min) return std::nullopt;
  const auto max = integer_end(sql, quoted_table, quoted_key, true);
  if (!max || *max < *min) return std::nullopt;
  return KeySpans(quoted_table, quoted_key, *min, *max, std::max(target_rows, 1LL));
}

KeySpans::KeySpans(std::string quoted_table, std::string quoted_key, long long min, long long max,
                   long long target_rows)
    : table_(std::move(quoted_table)),
      key_(std::move(quoted_key)),
      min_(min),
      max_(max),
      target_(target_rows),
      span_(target_rows) {}

bool KeySpans::next(TargetSql& sql, const std::string& condition, const SqlParams& params,
                    std::optional<long long> at_most) {
  if (last_) return false;
  const long long first = begun_ ? *start_ : min_;
  from_ = begun_ ? std::optional<long long>(first) : std::nullopt;
  begun_ = true;
  used_ = span_;
  // Keys after `first` up to the largest: fits in 64 unsigned bits whatever the two are.
  const auto keys_after =
      static_cast<unsigned long long>(max_) - static_cast<unsigned long long>(first);
  if (keys_after < static_cast<unsigned long long>(span_)) {
    to_.reset();
    last_ = true;
  } else {
    to_ = first + (span_ - 1);  // <= max_: no overflow
  }
  if (span_ / kUnreadSpanFactor > target_) {
    // A long span: it ends where its first target_ matching rows end, if it holds that many.
    end_at_row(sql, condition, params, first, at_most ? std::min(target_, *at_most) : target_);
  } else if (at_most && (!from_ || !to_ || span_ > *at_most)) {
    // A span that could hold more matching rows than the cap leaves: one key holds one row, but
    // an open end holds the rows added beyond it since open().
    end_at_row(sql, condition, params, first, *at_most);
  }
  if (!last_) start_ = *to_ + 1;
  return true;
}

void KeySpans::end_at_row(TargetSql& sql, const std::string& condition, const SqlParams& params,
                          long long first, long long rows) {
  SqlParams bound = params;
  bind(bound);
  bound.integer("span_offset", rows - 1);
  const auto keys = sql.column(
      fmt::format("SELECT {} FROM {} WHERE {} AND ({}) ORDER BY {}.{} LIMIT 1 OFFSET :span_offset",
                  sql.as_text(key_), table_, this->condition(), condition, table_, key_),
      bound);
  // A key that is not an integer (a real, in a SQLite column of no strict type): the span
  // stays as it was.
  const auto end = keys.empty() ? std::nullopt : parse_integer(keys.front());
  if (!end || *end == std::numeric_limits<long long>::max()) return;
  to_ = *end;
  last_ = false;
  // Below `first` only in the first span, open below, if a row was added there since.
  const auto span_keys = *end < first ? 1ULL
                                      : static_cast<unsigned long long>(*end) -
                                            static_cast<unsigned long long>(first) + 1;
  used_ = static_cast<long long>(std::min(span_keys, kMaxSpan));
}

std::string KeySpans::condition() const {
  if (from_ && to_) return fmt::format("{0} >= :span_from AND {0} <= :span_to", key_);
  if (from_) return fmt::format("{} >= :span_from", key_);
  if (to_) return fmt::format("{} <= :span_to", key_);
  return "1 = 1";
}

void KeySpans::bind(SqlParams& params) const {
  if (from_) params.integer("span_from", *from_);
  if (to_) params.integer("span_to", *to_);
}

void KeySpans::done(long long changed, std::chrono::steady_clock::duration took) {
  // Matching rows are assumed as dense in the next span as in this one, and the time to grow
  // with the span.
  double factor =
      changed > 0 ? static_cast<double>(target_) / static_cast<double>(changed) : kMaxGrowth;
  factor = std::min(factor, kMaxGrowth);
  const double took_ms = std::chrono::duration<double, std::milli>(took).count();
  if (took_ms > 0) {
    factor = std::min(factor, static_cast<double>(kTimeBudget.count()) / took_ms);
  }
  const double next = std::clamp(static_cast<double>(used_) * factor, static_cast<double>(target_),
                                 static_cast<double>(kMaxSpan));
  span_ = static_cast<long long>(next);
}

KeyRange::KeyRange(std::string quoted_table, std::string quoted_key)
    : table_(std::move(quoted_table)), key_(std::move(quoted_key)) {}

bool KeyRange::next(TargetSql& sql, const std::string& condition, const SqlParams& params,
                    long long size) {
  after_ = last_;
  SqlParams bound = params;
  bound.integer("key_offset", size - 1);
  if (after_) bound.text("key_after", *after_);
  // One row back, however large the page: the key it ends at. The key is ordered by its
  // qualified name: PostgreSQL would otherwise sort by the output column, the key as text
  // ('9' after '10').
  const auto keys = sql.column(
      fmt::format("SELECT {} FROM {} WHERE ({}){} ORDER BY {}.{} LIMIT 1 OFFSET :key_offset",
                  sql.as_text(key_), table_, condition,
                  after_ ? fmt::format(" AND {} > :key_after", key_) : "", table_, key_),
      bound);
  if (keys.empty()) {
    last_.reset();
    return false;
  }
  last_ = keys.front();
  return true;
}

std::string KeyRange::condition() const {
  if (after_ && last_) return fmt::format("{0} > :key_after AND {0} <= :key_last", key_);
  if (after_) return fmt::format("{} > :key_after", key_);
  if (last_) return fmt::format("{} <= :key_last", key_);
  return "1 = 1";
}

void KeyRange::bind(SqlParams& params) const {
  if (after_) params.text("key_after", *after_);
  if (last_) params.text("key_last", *last_);
}

}  // namespace maintd::handlers
