// previous(): the last slot at or before an instant (how maintd finds missed runs), table-driven
// like test_next_table.cpp, plus a property check tying previous() and next() together.
//
// Each row is {expr, tz, at, previous...}: previous[0] = previous(at) (inclusive), and
// previous[i] = previous(previous[i-1] - 1s). Expected slots were derived independently of the
// engine (see test_next_table.cpp); the daylight-saving rules are those of test_dst_table.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "cron/table_support.hpp"

namespace maintd::cron::table {
namespace {

// clang-format off
constexpr PreviousRow kPreviousBasic[] = {
    {"* * * * *", "UTC", "2026-01-01T00:00:30Z",
     {"2026-01-01T00:00:00Z", "2025-12-31T23:59:00Z", "2025-12-31T23:58:00Z"}},
    // at_or_before: a slot at `at` itself counts
    {"* * * * *", "UTC", "2026-01-01T00:00:00Z", {"2026-01-01T00:00:00Z", "2025-12-31T23:59:00Z"}},
    {"*/15 * * * *", "UTC", "2026-04-01T10:07:00Z",
     {"2026-04-01T10:00:00Z", "2026-04-01T09:45:00Z", "2026-04-01T09:30:00Z"}},
    {"0 0 * * *", "UTC", "2026-01-01T00:00:00Z", {"2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"}},
    {"0 0 * * *", "UTC", "2025-12-31T23:59:59Z", {"2025-12-31T00:00:00Z", "2025-12-30T00:00:00Z"}},
    {"0 9-17/2 * * *", "UTC", "2026-04-01T08:59:59Z",
     {"2026-03-31T17:00:00Z", "2026-03-31T15:00:00Z", "2026-03-31T13:00:00Z"}},
    {"30 4 1 * *", "UTC", "2026-03-01T04:29:59Z",
     {"2026-02-01T04:30:00Z", "2026-01-01T04:30:00Z", "2025-12-01T04:30:00Z"}},
    {"0 0 1 JAN *", "UTC", "2026-06-01T00:00:00Z",
     {"2026-01-01T00:00:00Z", "2025-01-01T00:00:00Z"}},
    // Monday: back over the weekend
    {"0 0 * * MON-FRI", "UTC", "2026-01-05T00:00:00Z",
     {"2026-01-05T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"}},
    {"0 0 * * FRI-SUN", "UTC", "2026-01-08T00:00:00Z",
     {"2026-01-04T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-02T00:00:00Z",
      "2025-12-28T00:00:00Z"}},
    {"@weekly", "UTC", "2026-01-10T00:00:00Z", {"2026-01-04T00:00:00Z", "2025-12-28T00:00:00Z"}},
    {"@hourly", "UTC", "2026-01-01T00:30:00Z", {"2026-01-01T00:00:00Z", "2025-12-31T23:00:00Z"}},
    {"@monthly", "UTC", "2026-03-15T00:00:00Z",
     {"2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
    // OR rule backwards
    {"0 0 1 * 1", "UTC", "2026-03-01T00:00:00Z",
     {"2026-03-01T00:00:00Z", "2026-02-23T00:00:00Z", "2026-02-16T00:00:00Z",
      "2026-02-09T00:00:00Z"}},
    // AND rule backwards: odd Mondays
    {"0 0 */2 * 1", "UTC", "2026-03-01T00:00:00Z",
     {"2026-02-23T00:00:00Z", "2026-02-09T00:00:00Z", "2026-01-19T00:00:00Z"}},
    {"0 0 L * *", "UTC", "2026-03-30T00:00:00Z",
     {"2026-02-28T00:00:00Z", "2026-01-31T00:00:00Z", "2025-12-31T00:00:00Z"}},
    {"0 0 LW * *", "UTC", "2026-06-01T00:00:00Z",
     {"2026-05-29T00:00:00Z", "2026-04-30T00:00:00Z", "2026-03-31T00:00:00Z"}},
    {"0 0 1W * *", "UTC", "2026-03-01T12:00:00Z",
     {"2026-02-02T00:00:00Z", "2026-01-01T00:00:00Z", "2025-12-01T00:00:00Z"}},
    {"0 0 15W * *", "UTC", "2026-09-01T00:00:00Z",
     {"2026-08-14T00:00:00Z", "2026-07-15T00:00:00Z"}},
    {"0 0 * * 5L", "UTC", "2026-06-01T00:00:00Z",
     {"2026-05-29T00:00:00Z", "2026-04-24T00:00:00Z", "2026-03-27T00:00:00Z"}},
    {"0 0 * * 1#5", "UTC", "2026-12-31T00:00:00Z",
     {"2026-11-30T00:00:00Z", "2026-08-31T00:00:00Z", "2026-06-29T00:00:00Z"}},
    // back across 2100, which has no Feb 29
    {"0 0 29 2 *", "UTC", "2104-02-28T00:00:00Z", {"2096-02-29T00:00:00Z", "2092-02-29T00:00:00Z"}},
    {"0 0 29 2 *", "UTC", "2028-02-29T00:00:00Z", {"2028-02-29T00:00:00Z", "2024-02-29T00:00:00Z"}},
    {"0 0 31 * *", "UTC", "2026-07-30T00:00:00Z",
     {"2026-05-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-01-31T00:00:00Z"}},
    {"0 0 1 1 *", "UTC", "2027-01-01T00:00:00Z", {"2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
    {"59 23 31 12 *", "UTC", "2026-12-31T23:58:59Z",
     {"2025-12-31T23:59:00Z", "2024-12-31T23:59:00Z"}},
    {"* * * * * *", "UTC", "2027-01-01T00:00:00Z",
     {"2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z", "2026-12-31T23:59:58Z"}},
    {"*/20 * * * * *", "UTC", "2026-01-01T00:00:10Z",
     {"2026-01-01T00:00:00Z", "2025-12-31T23:59:40Z", "2025-12-31T23:59:20Z"}},
    {"30 30 12 * * *", "UTC", "2026-01-01T12:30:29Z",
     {"2025-12-31T12:30:30Z", "2025-12-30T12:30:30Z"}},
    {"0 0 0 L 2 *", "UTC", "2101-01-01T00:00:00Z",
     {"2100-02-28T00:00:00Z", "2099-02-28T00:00:00Z", "2098-02-28T00:00:00Z"}},
    {"0 9 * * 1-5", "America/New_York", "2026-07-06T12:00:00Z",
     {"2026-07-03T13:00:00Z", "2026-07-02T13:00:00Z", "2026-07-01T13:00:00Z"}},
};

constexpr PreviousRow kPreviousDst[] = {
    // the collapsed gap slot is the change instant
    {"30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z",
     {"2026-03-29T01:00:00Z", "2026-03-28T01:30:00Z"}},
    {"30 2 * * *", "Europe/Berlin", "2026-03-29T00:59:59Z", {"2026-03-28T01:30:00Z"}},
    {"30 2 * * *", "Europe/Berlin", "2026-03-30T00:00:00Z",
     {"2026-03-29T01:00:00Z", "2026-03-28T01:30:00Z"}},
    {"0,30 2 * * *", "Europe/Berlin", "2026-03-30T00:00:00Z",
     {"2026-03-30T00:00:00Z", "2026-03-29T01:00:00Z"}},
    {"*/15 * * * *", "Europe/Berlin", "2026-03-29T01:05:00Z",
     {"2026-03-29T01:00:00Z", "2026-03-29T00:45:00Z", "2026-03-29T00:30:00Z"}},
    // no slot on the spring-forward day
    {"* 2 * * *", "Europe/Berlin", "2026-03-29T12:00:00Z",
     {"2026-03-28T01:59:00Z", "2026-03-28T01:58:00Z"}},
    // the second pass is not a slot
    {"30 2 * * *", "Europe/Berlin", "2026-10-25T01:45:00Z",
     {"2026-10-25T00:30:00Z", "2026-10-24T00:30:00Z"}},
    // both passes of the repeated hour
    {"*/30 * * * *", "Europe/Berlin", "2026-10-25T01:10:00Z",
     {"2026-10-25T01:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:00:00Z",
      "2026-10-24T23:30:00Z", "2026-10-24T23:00:00Z"}},
    {"0 * * * *", "Europe/Berlin", "2026-10-25T02:30:00Z",
     {"2026-10-25T02:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T00:00:00Z",
      "2026-10-24T23:00:00Z"}},
    {"*/20 30 2 * * *", "Europe/Berlin", "2026-10-25T02:00:00Z",
     {"2026-10-25T00:30:40Z", "2026-10-25T00:30:20Z", "2026-10-25T00:30:00Z",
      "2026-10-24T00:30:40Z"}},
    {"*/20 30 2 * * *", "Europe/Berlin", "2026-03-29T02:00:00Z",
     {"2026-03-29T01:00:00Z", "2026-03-28T01:30:40Z"}},
    {"30 2 * * *", "America/New_York", "2026-03-08T08:00:00Z",
     {"2026-03-08T07:00:00Z", "2026-03-07T07:30:00Z"}},
    {"30 1 * * *", "America/New_York", "2026-11-01T07:00:00Z",
     {"2026-11-01T05:30:00Z", "2026-10-31T05:30:00Z"}},
    {"*/30 1 * * *", "America/New_York", "2026-11-01T07:00:00Z",
     {"2026-11-01T06:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T05:30:00Z",
      "2026-11-01T05:00:00Z", "2026-10-31T05:30:00Z"}},
    {"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T16:00:00Z",
     {"2026-10-03T15:30:00Z", "2026-10-02T15:45:00Z"}},
    {"*/20 * * * *", "Australia/Lord_Howe", "2026-10-03T15:45:00Z",
     {"2026-10-03T15:40:00Z", "2026-10-03T15:10:00Z", "2026-10-03T14:50:00Z"}},
    {"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T15:30:00Z",
     {"2026-04-04T14:45:00Z", "2026-04-03T14:45:00Z"}},
    {"*/20 * * * *", "Australia/Lord_Howe", "2026-04-04T15:35:00Z",
     {"2026-04-04T15:30:00Z", "2026-04-04T15:10:00Z", "2026-04-04T14:40:00Z",
      "2026-04-04T14:20:00Z", "2026-04-04T14:00:00Z"}},
    {"* * * * * *", "Europe/Berlin", "2026-03-29T01:00:01Z",
     {"2026-03-29T01:00:01Z", "2026-03-29T01:00:00Z", "2026-03-29T00:59:59Z"}},
};
// clang-format on

// The property check needs no expected values, so it can sweep many combinations: schedules of
// every kind (fixed-time and real-time cadence, day extensions, seconds) against instants on,
// just before and inside every daylight-saving change of the zones below, plus calendar edges.
constexpr std::string_view kPropertyExpressions[] = {
    "* * * * *",      "*/7 * * * *", "30 2 * * *",    "0,30 2 * * *",
    "0 1-3 * * *",    "* 2 * * *",   "*/15 * * * *",  "0 * * * *",
    "15 1 * * *",     "45 1 * * *",  "0 2 * * *",     "30 1 * * *",
    "0 0 L * *",      "0 0 LW * *",  "0 0 15W * *",   "0 0 * * 5L",
    "0 0 * * 1#5",    "0 0 1 * 1",   "0 0 */2 * 1",   "0 0 29 2 *",
    "0 0 29 2 1",     "@weekly",     "@hourly",       "*/20 30 2 * * *",
    "*/10 * * * * *", "0 * 2 * * *", "59 59 1 * * *", "0 0 12 ? * MON-FRI",
};

constexpr std::string_view kPropertyZones[] = {"UTC", "Europe/Berlin", "America/New_York",
                                               "Australia/Lord_Howe"};

constexpr std::string_view kPropertyInstants[] = {
    "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z",  // Berlin spring
    "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:45:00Z",  // Berlin fall
    "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z",                          // New York spring
    "2026-11-01T05:30:00Z", "2026-11-01T06:15:00Z",                          // New York fall
    "2026-04-04T14:45:00Z", "2026-04-04T15:10:00Z",                          // Lord Howe fall
    "2026-10-03T15:29:59Z", "2026-10-03T15:45:00Z",                          // Lord Howe spring
    "2026-02-28T23:59:59Z", "2028-02-29T00:00:00Z", "2100-03-01T00:00:00Z", "2026-12-31T23:59:59Z",
};

// With n = next(t) and p = previous(t), the definitions force: p <= t < n, no slot lies strictly
// between p and n, previous() finds a slot when asked at it, and next() finds it from just before.
void check_round_trips(const Schedule& schedule, Instant t) {
  using std::chrono::seconds;
  const auto n = schedule.next(t);
  const auto p = schedule.previous(t);
  CHECK(n.has_value());
  CHECK(p.has_value());
  if (!n || !p) return;
  const std::string next_slot = to_utc(*n);
  const std::string previous_slot = to_utc(*p);
  CAPTURE(next_slot);
  CAPTURE(previous_slot);
  CHECK(*n > t);
  CHECK(*p <= t);
  CHECK(to_utc(schedule.previous(*n)) == next_slot);
  CHECK(to_utc(schedule.next(*p - seconds(1))) == previous_slot);
  CHECK(to_utc(schedule.next(*p)) == next_slot);
  CHECK(to_utc(schedule.previous(*n - seconds(1))) == previous_slot);
}

}  // namespace

TEST_CASE("previous: basic syntax") {
  check_previous_rows(kPreviousBasic);
}

TEST_CASE("previous: across daylight saving changes") {
  check_previous_rows(kPreviousDst);
}

TEST_CASE("previous: round trips with next() across zones and transitions") {
  for (const std::string_view expr_text : kPropertyExpressions) {
    for (const std::string_view zone_name : kPropertyZones) {
      const std::string expr(expr_text);
      const std::string tz(zone_name);
      CAPTURE(expr);
      CAPTURE(tz);
      const auto schedule = schedule_or_fail(expr_text, zone_name);
      if (!schedule) continue;
      for (const std::string_view instant_text : kPropertyInstants) {
        const std::string from(instant_text);
        CAPTURE(from);
        const auto t = parse_utc_or_fail(instant_text);
        if (t) check_round_trips(*schedule, *t);
      }
    }
  }
}

}  // namespace maintd::cron::table
