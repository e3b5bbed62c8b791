#pragma once
// An expression in a time zone: the instants (slots) at which it fires.
//
// Terms used below:
//   civil time  - wall-clock time in the zone, what the expression is written against.
//   segment     - a stretch of time between two offset changes; within it civil time and
//                 instants map one to one.
//   gap         - civil times skipped by a forward change (spring forward).
//   repeated    - civil times lived twice after a backward change (fall back).
//
// Daylight saving follows cronie:
//   - a fixed-time slot inside a gap fires once, at the instant of the change;
//   - a fixed-time slot inside repeated time fires once, at its first occurrence;
//   - a schedule whose minute or hour field starts with '*' keeps its real-time cadence: it does
//     not fire for civil times in a gap and fires in both passes of repeated time.
#include <cctz/time_zone.h>

#include <optional>

#include "common/instant.hpp"
#include "cron/expression.hpp"

namespace maintd::cron {

class Schedule {
 public:
  Schedule(Expression expression, cctz::time_zone zone);

  // The first slot strictly after `after`. Empty only when none exists within 400 years, which
  // a parsed (satisfiable) expression never reaches.
  std::optional<Instant> next(Instant after) const;
  // The last slot at or before `at_or_before` (used to find missed slots).
  std::optional<Instant> previous(Instant at_or_before) const;

  const Expression& expression() const { return expression_; }
  const cctz::time_zone& zone() const { return zone_; }

 private:
  std::optional<Instant> next_walk(Instant after, int shifts_left) const;
  std::optional<Instant> previous_walk(Instant at_or_before) const;

  Expression expression_;
  cctz::time_zone zone_;
  // A zone that never changes its offset (UTC, fixed offsets) skips the segment walk.
  std::optional<int> fixed_offset_;
  // For zones that still change their offset (daylight saving): the last change cctz lists.
  // The changes go on after it, but cctz stops listing them some 400 years ahead; past this,
  // both the calendar and the zone's rules repeat every 400 years, so queries are answered 400
  // years earlier and shifted back. Unset for zones whose last change is history (Asia/Tokyo).
  std::optional<Instant> listed_changes_end_;
};

}  // namespace maintd::cron
