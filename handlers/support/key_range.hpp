#pragma once
// Batches by key range, for handlers that change many rows of a large table: each batch finds
// where its page of `size` matching rows ends, in key order after the previous page, then
// changes that key range with one conditional statement. Every row is looked at twice whatever
// the number of batches; re-selecting "the first N matching rows" each batch would rescan the
// rows already passed over, which made a million-row cleanup quadratic.
//
// The key must be unique and ordered (a primary key: integer or text/UUID). Keys travel as text,
// like every id in handlers/support.
#include <optional>
#include <string>

#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {

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
