#include "handlers/support/key_range.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

namespace maintd::handlers {

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
