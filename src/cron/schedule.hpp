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
  Schedule(Expression expression, cctz::time_zone zone) : expression_(expression), zone_(zone) {}

  // The first slot strictly after `after`. Empty only when none exists within 400 years, which
  // a parsed (satisfiable) expression never reaches.
  std::optional<Instant> next(Instant after) const;
  // The last slot at or before `at_or_before` (used to find missed slots).
  std::optional<Instant> previous(Instant at_or_before) const;

  const Expression& expression() const { return expression_; }
  const cctz::time_zone& zone() const { return zone_; }

 private:
  Expression expression_;
  cctz::time_zone zone_;
};

}  // namespace maintd::cron
