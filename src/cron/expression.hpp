#pragma once
// A cron expression compiled into bit sets: a compact value type, parsed once, copied freely,
// queried without allocation. It knows nothing of time zones: it answers questions about
// wall-clock (civil) time. Schedule adds the zone and daylight saving.
#include <cctz/civil_time.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/expected.hpp"
#include "cron/parse_error.hpp"
#include "cron/syntax.hpp"

namespace maintd::cron {

class Expression {
 public:
  // Parses and validates: rejects bad syntax and expressions that can never fire
  // ("0 0 30 2 *"), each with the position and the reason.
  static Expected<Expression, ParseError> parse(std::string_view text);
  static Expected<Expression, ParseError> compile(const Syntax& syntax);

  // Does this wall-clock second match? (The definition the searches below must agree with.)
  bool matches(const cctz::civil_second& when) const;
  bool matches_day(const cctz::civil_day& day) const;

  // First matching wall-clock second at or after `from` / last one at or before `from`.
  // Bounded: the day pattern depends only on (month, month length, weekday of the 1st), and every
  // such combination recurs within any 400 consecutive Gregorian years, so a satisfiable
  // expression matches within 400 years + 1 month and the month loop stops after that many steps.
  std::optional<cctz::civil_second> first_at_or_after(cctz::civil_second from) const;
  std::optional<cctz::civil_second> last_at_or_before(cctz::civil_second from) const;

  // cronie's daylight-saving rule keys on this: a schedule whose minute or hour field starts with
  // '*' keeps its real-time cadence; any other is "fixed-time" and fires once per wall-clock slot.
  bool keeps_real_time_cadence() const { return (flags_ & kWildcardTime) != 0; }
  bool has_seconds_field() const { return (flags_ & kHasSeconds) != 0; }

  friend bool operator==(const Expression&, const Expression&) = default;

 private:
  // An expression that matches nothing: what an interval Schedule holds in its place.
  friend class Schedule;
  Expression() = default;

  // Days of month (bits 1..31) matching in a month of `length` days whose 1st is weekday `first`
  // (0 = Sunday). Everything about days reduces to this.
  std::uint32_t day_set(int length, int first_weekday) const;
  std::uint32_t day_set(cctz::civil_month month) const;

  struct TimeOfDay {
    int hour, minute, second;
  };
  std::optional<TimeOfDay> time_at_or_after(int hour, int minute, int second) const;
  std::optional<TimeOfDay> time_at_or_before(int hour, int minute, int second) const;

  enum Flag : std::uint8_t {
    kDayOfMonthStar = 1,      // day-of-month text starts with '*' or '?'
    kDayOfWeekStar = 2,       // day-of-week text starts with '*' or '?'
    kLastDay = 4,             // L in day-of-month
    kLastWeekdayOfMonth = 8,  // LW in day-of-month
    kWildcardTime = 16,       // minute or hour starts with '*'
    kHasSeconds = 32,         // written with 6 fields
  };

  std::uint64_t seconds_ = 0;                // bits 0..59
  std::uint64_t minutes_ = 0;                // bits 0..59
  std::uint32_t hours_ = 0;                  // bits 0..23
  std::uint32_t days_of_month_ = 0;          // bits 1..31 (plain values)
  std::uint32_t nearest_weekday_ = 0;        // bits 1..31: nW
  std::uint32_t weekdays_by_first_[7] = {};  // day-of-week values and d#n, as days of month,
                                             // indexed by the weekday of the 1st
  std::uint16_t months_ = 0;                 // bits 1..12
  std::uint8_t last_of_weekday_ = 0;         // bits 0..6: dL
  std::uint8_t flags_ = 0;
};

}  // namespace maintd::cron
