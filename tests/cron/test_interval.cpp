// `@every` intervals: what parses to which period, every class of bad input with its column,
// length, message and hint, and the grid's slots checked against an independent oracle (plain
// arithmetic on the seconds since the epoch, walked one second at a time near each answer).
//
// Columns and lengths were worked out by hand from the text.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "cron/interval.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace maintd::cron {
namespace {

using std::chrono::seconds;

Instant utc(std::string_view text) {
  return parse_instant(text, cctz::utc_time_zone()).value();
}

struct GoodRow {
  std::string_view text;
  long long period;        // seconds
  std::string_view shown;  // Interval::text()
};

// clang-format off
constexpr GoodRow kGood[] = {
    {"@every 1s", 1, "1s"},
    {"@every 90s", 90, "1m30s"},
    {"@every 15m", 900, "15m"},
    {"@every 2h", 7200, "2h"},
    {"@every 1d", 86400, "1d"},
    {"@every 1h30m", 5400, "1h30m"},
    {"@every 1d2h3m4s", 93784, "1d2h3m4s"},
    {"@every 0h5m", 300, "5m"},          // a zero part is fine when the whole is not
    {"@every 007m", 420, "7m"},          // leading zeros
    {"@EVERY 10m", 600, "10m"},          // the keyword in any case, like the macros
    {"  @every   10m  ", 600, "10m"},    // blanks around
    {"@every\t10m", 600, "10m"},
    {"@every 366d", 366 * 86400, "366d"},  // the longest
    {"@every 100000s", 100000, "1d3h46m40s"},
};
// clang-format on

TEST_CASE("@every: the forms that parse, and their periods") {
  for (const auto& row : kGood) {
    CAPTURE(row.text);
    const auto parsed = Interval::parse(row.text);
    REQUIRE(parsed);
    CHECK(parsed->period() == seconds(row.period));
    CHECK(parsed->text() == row.shown);
    CHECK(is_interval_text(row.text));
    const auto form = parse_schedule(row.text);
    REQUIRE(form);
    CHECK(std::holds_alternative<Interval>(*form));
  }
}

struct BadRow {
  std::string_view text;
  std::size_t column;
  std::size_t length;
  std::string_view message;  // a substring of the message
  std::string_view hint;     // a substring of the hint
};

// One row per class of mistake (several where the place differs).
// clang-format off
constexpr BadRow kBad[] = {
    // empty: nothing after the keyword
    {"@every", 1, 6, "'@every' needs an interval after it", "@every 90s"},
    {"@every   ", 1, 6, "needs an interval", "@every 15m"},
    {"  @Every", 3, 6, "'@Every' needs an interval", "@every 90s"},
    // zero
    {"@every 0s", 8, 2, "the interval '0s' is zero", "the shortest interval is 1s"},
    {"@every 0h0m", 8, 4, "'0h0m' is zero", "1s"},
    // negative
    {"@every -5m", 8, 3, "the interval '-5m' is negative", "positive duration"},
    {"@every 1h-5m", 10, 3, "'1h-5m' is negative", "positive"},
    // no unit
    {"@every 90", 8, 2, "the number 90 has no unit", "'90s' or '90m'"},
    {"@every 1h30", 10, 2, "the number 30 has no unit", "units are s"},
    // unknown units
    {"@every 5x", 9, 1, "unknown unit 'x'", "units are s (seconds), m (minutes), h (hours) and d"},
    {"@every 5min", 9, 3, "unknown unit 'min'", "did you mean 'm'?"},
    {"@every 2hours", 9, 5, "unknown unit 'hours'", "did you mean 'h'?"},
    {"@every 5M", 9, 1, "unknown unit 'M'", "units are lowercase: write 'm'"},
    {"@every 500ms", 11, 2, "unknown unit 'ms'", "the shortest interval is 1s"},
    {"@every 1w", 9, 1, "unknown unit 'w'", "units are s"},
    // fractions
    {"@every 1.5h", 9, 1, "fractions are not allowed", "'1h30m' rather than '1.5h'"},
    // not a number
    {"@every h", 8, 1, "expected a number, got 'h'", "a number and a unit"},
    {"@every +5m", 8, 1, "expected a number, got '+'", "a number and a unit"},
    {"@every 5m_", 10, 1, "expected a number, got '_'", ""},
    {"@every 5%", 9, 1, "unexpected '%' after the number 5", "units are s"},
    // unit order and repeats
    {"@every 30m1h", 12, 1, "the unit 'h' comes after 'm'", "largest first"},
    {"@every 1h2h", 11, 1, "the unit 'h' is given twice", "each unit once"},
    // overflow and too long
    {"@every 99999999999999999999s", 8, 20, "the number 99999999999999999999 is too large",
     "@yearly"},
    {"@every 367d", 8, 4, "'367d' is longer than the longest allowed, 366d", "cron expression"},
    {"@every 9000h", 8, 5, "longer than the longest allowed", "@yearly"},
    // something after the interval
    {"@every 1h 30m", 11, 3, "unexpected '30m' after the interval", "without spaces"},
    {"@every 5m * * *", 11, 5, "unexpected '* * *' after the interval", "one word"},
};
// clang-format on

TEST_CASE("@every: every class of bad input names its column, the value and a hint") {
  for (const auto& row : kBad) {
    CAPTURE(row.text);
    const auto parsed = Interval::parse(row.text);
    REQUIRE_FALSE(parsed);
    const ParseError& error = parsed.error();
    CHECK(error.column == row.column);
    CHECK(error.length == row.length);
    CHECK(error.field == "interval");
    CHECK(error.message.find(row.message) != std::string::npos);
    CHECK(error.hint.find(row.hint) != std::string::npos);
    // The schedule parser gives the same error: an @every text is never read as cron.
    const auto form = parse_schedule(row.text);
    REQUIRE_FALSE(form);
    CHECK(form.error().column == row.column);
    CHECK(form.error().message == error.message);
  }
}

TEST_CASE("@every: an interval text is never mistaken for a macro, nor a macro for it") {
  CHECK(is_interval_text("@every 5m"));
  CHECK_FALSE(is_interval_text("@everyday"));  // a misspelt macro stays a macro's error
  CHECK_FALSE(is_interval_text("@daily"));
  CHECK_FALSE(is_interval_text("*/5 * * * *"));
  CHECK_FALSE(is_interval_text(""));
  const auto misspelt = parse_schedule("@everyday");
  REQUIRE_FALSE(misspelt);
  CHECK(misspelt.error().message.find("unknown macro") != std::string::npos);
}

// The oracle: the grid by definition, n * period for integer n, searched by stepping seconds
// from the query instant (small periods) or by division on the other side of zero.
Instant oracle_next(Instant after, long long period) {
  for (long long s = after.time_since_epoch().count() + 1;; ++s) {
    if (((s % period) + period) % period == 0) return Instant(seconds(s));
  }
}
Instant oracle_previous(Instant at, long long period) {
  for (long long s = at.time_since_epoch().count();; --s) {
    if (((s % period) + period) % period == 0) return Instant(seconds(s));
  }
}

TEST_CASE("@every: slots are the grid since the epoch, before 1970 too") {
  for (long long period : {1LL, 7LL, 60LL, 90LL, 5400LL, 86400LL}) {
    const Interval interval = Interval::of(seconds(period));
    for (long long start : {-200000LL, -86401LL, -1LL, 0LL, 1LL, 89LL, 90LL, 1767225599LL,
                            1767225600LL, 1798761599LL}) {
      CAPTURE(period);
      CAPTURE(start);
      const Instant from{seconds(start)};
      CHECK(interval.next(from) == oracle_next(from, period));
      CHECK(interval.previous(from) == oracle_previous(from, period));
      CHECK(interval.next(from) > from);
      CHECK(interval.previous(from) <= from);
      CHECK(interval.next(interval.previous(from)) == interval.previous(from) + seconds(period));
    }
  }
}

TEST_CASE("@every: two callers at different instants compute the same slots") {
  // What lets two daemons claim each slot once: the slot depends on the period alone.
  const Interval interval = Interval::parse("@every 90s").value();
  const Instant a = utc("2026-03-01T10:00:07Z");
  const Instant b = utc("2026-03-01T10:00:52Z");
  CHECK(interval.next(a) == utc("2026-03-01T10:01:30Z"));
  CHECK(interval.next(b) == utc("2026-03-01T10:01:30Z"));
}

TEST_CASE("@every in a zone with daylight saving: elapsed time, the same instants as in UTC") {
  const auto form = parse_schedule("@every 1h");
  REQUIRE(form);
  const Schedule berlin(*form, load_zone("Europe/Berlin").value());
  const Schedule plain(*form, cctz::utc_time_zone());
  REQUIRE(berlin.interval());
  CHECK(berlin.interval()->period() == seconds(3600));
  // Across the spring-forward change (2026-03-29 01:00Z): every hour, no gap, no double.
  Instant at = utc("2026-03-28T23:30:00Z");
  for (int i = 0; i < 5; ++i) {
    const auto next = berlin.next(at);
    REQUIRE(next);
    CHECK(next == plain.next(at));
    CHECK(*next - at <= seconds(3600));
    at = *next;
  }
  CHECK(at == utc("2026-03-29T04:00:00Z"));
  CHECK(berlin.previous(utc("2026-03-29T01:59:59Z")) == utc("2026-03-29T01:00:00Z"));
  // A cron schedule has no interval.
  CHECK_FALSE(Schedule(parse_schedule("0 * * * *").value(), cctz::utc_time_zone()).interval());
}

TEST_CASE("@every: explained in words, with the grid it is on") {
  CHECK(explain_schedule("@every 90s").value() ==
        "Every 1 minute 30 seconds (90 seconds), at whole multiples of the interval since "
        "1970-01-01T00:00:00Z");
  CHECK(explain_schedule("@every 1s").value() ==
        "Every 1 second, at whole multiples of the interval since 1970-01-01T00:00:00Z");
  CHECK(explain_schedule("@every 2d").value().rfind("Every 2 days (172800 seconds)", 0) == 0);
  // Cron expressions are explained as before; a bad one of either kind is an error.
  CHECK(explain_schedule("30 2 * * 1-5").value() == "At 02:30, Monday through Friday");
  CHECK_FALSE(explain_schedule("@every 0s"));
  CHECK_FALSE(explain_schedule("0 0 30 2 *"));
}

}  // namespace
}  // namespace maintd::cron
