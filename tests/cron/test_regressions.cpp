// Regression tests, each named after the bug it pins.
#include <doctest/doctest.h>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace {
using maintd::format_utc;
using maintd::Instant;
using maintd::cron::Expression;
using maintd::cron::Schedule;

Instant at(const char* text) {
  return maintd::parse_instant(text, cctz::utc_time_zone()).value();
}

Schedule schedule(const char* expr, const char* zone) {
  return Schedule(Expression::parse(expr).value(), maintd::cron::load_zone(zone).value());
}
}  // namespace

TEST_CASE("regression: after 2437 cctz lists no offset changes, yet summer time still applies") {
  // cctz 2.3 extends a zone's rules about 400 years and then stops listing changes; the walk
  // took "no more changes" for "the offset stays", and put June noon in Berlin at 11:00Z.
  const auto berlin = schedule("0 12 1 6 *", "Europe/Berlin");
  CHECK(format_utc(*berlin.next(at("2440-01-01T00:00:00Z"))) == "2440-06-01T10:00:00Z");
  CHECK(format_utc(*berlin.next(at("2437-01-01T00:00:00Z"))) == "2437-06-01T10:00:00Z");
  CHECK(format_utc(*berlin.next(at("2999-07-01T00:00:00Z"))) == "3000-06-01T10:00:00Z");
  CHECK(format_utc(*berlin.previous(at("2440-12-31T00:00:00Z"))) == "2440-06-01T10:00:00Z");
  // Winter stays winter.
  const auto winter = schedule("0 12 1 1 *", "America/New_York");
  CHECK(format_utc(*winter.next(at("2500-06-01T00:00:00Z"))) == "2501-01-01T17:00:00Z");
}

TEST_CASE("regression: a zone whose last change is history keeps its offset forever") {
  // Asia/Tokyo last changed offset in 1951; it must not be treated like an extrapolated zone.
  const auto tokyo = schedule("0 12 1 6 *", "Asia/Tokyo");
  CHECK(format_utc(*tokyo.next(at("2440-01-01T00:00:00Z"))) == "2440-06-01T03:00:00Z");
  CHECK(format_utc(*tokyo.previous(at("2026-07-01T00:00:00Z"))) == "2026-06-01T03:00:00Z");
}

TEST_CASE("regression: a real-time schedule that only matches skipped time never fires") {
  // The fifth Sunday of March is always Berlin's spring-forward day, and 02:xx does not exist
  // then: with real-time cadence this never fires. It once returned a slot in 2441.
  const auto never = schedule("* 2 * 3 0#5", "Europe/Berlin");
  CHECK_FALSE(never.next(at("2026-01-01T00:00:00Z")).has_value());
  // The fixed-time form fires at each of those changes instead.
  const auto fixed = schedule("30 2 * 3 0#5", "Europe/Berlin");
  CHECK(format_utc(*fixed.next(at("2026-01-01T00:00:00Z"))) == "2026-03-29T01:00:00Z");
}

TEST_CASE("regression: --from after 2262 does not wrap around (nanosecond overflow)") {
  CHECK(format_utc(at("2300-01-01T00:00:00Z")) == "2300-01-01T00:00:00Z");
  CHECK(format_utc(at("9999-12-31T23:59:59Z")) == "9999-12-31T23:59:59Z");
  CHECK(format_utc(at("1600-02-29T12:00:00Z")) == "1600-02-29T12:00:00Z");
  const auto far = maintd::parse_instant("10000-01-01T00:00:00Z", cctz::utc_time_zone());
  REQUIRE_FALSE(far.has_value());
  CHECK(far.error() == "'10000-01-01T00:00:00Z' is outside the years 1-9999");
}
