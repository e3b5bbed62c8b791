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
//
// A schedule may instead be an interval, "@every 90s" (cron/interval.hpp): its slots are the
// interval's grid, the same in every zone; the zone is kept for showing slots in local time.
#include <cctz/time_zone.h>

#include <optional>
#include <string_view>
#include <variant>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/interval.hpp"

namespace maintd::cron {

// A schedule as a task writes it: a cron expression (or macro), or `@every <interval>`.
using ScheduleForm = std::variant<Expression, Interval>;
// Parses either form: a text whose first word is @every is an interval, anything else a cron
// expression. The error's column is 1-based in `text`, as Expression::parse's.
Expected<ScheduleForm, ParseError> parse_schedule(std::string_view text);
// A plain-English description of either form ("At 02:30", "Every 1 minute 30 seconds ...").
Expected<std::string, ParseError> explain_schedule(std::string_view text);

class Schedule {
 public:
  Schedule(Expression expression, cctz::time_zone zone);
  Schedule(Interval interval, cctz::time_zone zone);
  Schedule(const ScheduleForm& form, cctz::time_zone zone);

  // The first slot strictly after `after`. Empty only when none exists within 400 years, which
  // a parsed (satisfiable) expression never reaches.
  std::optional<Instant> next(Instant after) const;
  // The last slot at or before `at_or_before` (used to find missed slots).
  std::optional<Instant> previous(Instant at_or_before) const;

  const cctz::time_zone& zone() const { return zone_; }
  // Set for an `@every` schedule.
  std::optional<Interval> interval() const {
    if (every_.count() == 0) return std::nullopt;
    return Interval::of(every_);
  }

 private:
  std::optional<Instant> next_walk(Instant after, int shifts_left) const;
  std::optional<Instant> previous_walk(Instant at_or_before) const;

  Expression expression_;  // matches nothing in an interval schedule
  cctz::time_zone zone_;
  // An interval schedule's period; 0 for a cron expression. (A period rather than an
  // optional<Interval>: 8 bytes per task, not 16, at 100,000 tasks.)
  std::chrono::seconds every_{0};
  // A zone that never changes its offset (UTC, fixed offsets) skips the segment walk.
  std::optional<int> fixed_offset_;
  // For zones that still change their offset (daylight saving): the last change cctz lists.
  // The changes go on after it, but cctz stops listing them some 400 years ahead; past this,
  // both the calendar and the zone's rules repeat every 400 years, so queries are answered 400
  // years earlier and shifted back. Unset for zones whose last change is history (Asia/Tokyo).
  std::optional<Instant> listed_changes_end_;
};

}  // namespace maintd::cron
