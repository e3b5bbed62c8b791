// `@every` intervals (interval.hpp): the grammar, its error messages and the grid.
//
//   schedule := "@every" blanks interval
//   interval := (number unit)+        units largest first, each at most once: "1d2h3m4s"
//   unit     := "d" | "h" | "m" | "s"
//
// Every rejection names the column of the offending token in the whole text, so that config
// loading turns it into file:line:col exactly as for a cron expression.
#include "cron/interval.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

#include "common/duration.hpp"
#include "common/suggest.hpp"

namespace maintd::cron {
namespace {

using std::chrono::seconds;

constexpr std::string_view kField = "interval";
constexpr std::string_view kExample = "e.g. '@every 90s', '@every 15m' or '@every 1h30m'";
constexpr std::string_view kUnits = "units are s (seconds), m (minutes), h (hours) and d (days)";

struct Unit {
  char letter;
  std::int64_t seconds;
  const char* name;
};
// Largest first: the order the units must be written in.
constexpr std::array<Unit, 4> kUnitTable = {{
    {'d', 86400, "day"},
    {'h', 3600, "hour"},
    {'m', 60, "minute"},
    {'s', 1, "second"},
}};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `pos` is 0-based in the whole text; the error's column is 1-based.
Unexpected<ParseError> fail(std::size_t pos, std::size_t length, std::string message,
                            std::string hint) {
  return Unexpected{ParseError{pos + 1, std::max<std::size_t>(length, 1), std::string(kField),
                               std::move(message), std::move(hint)}};
}

// The interval word, which starts at `begin` in `text` and ends at `end`.
Expected<seconds, ParseError> parse_period(std::string_view text, std::size_t begin,
                                           std::size_t end) {
  const std::string_view word = text.substr(begin, end - begin);
  std::int64_t total = 0;
  std::optional<std::size_t> previous_unit;  // index in kUnitTable of the last unit read
  std::size_t pos = begin;
  while (pos < end) {
    const char c = text[pos];
    if (c == '-') {
      return fail(pos, end - pos, fmt::format("the interval '{}' is negative", word),
                  "an interval is a positive duration, " + std::string(kExample));
    }
    if (!is_digit(c)) {
      return fail(pos, 1, fmt::format("expected a number, got '{}'", c),
                  "write a number and a unit, " + std::string(kExample));
    }
    const std::size_t number_begin = pos;
    while (pos < end && is_digit(text[pos])) ++pos;
    const std::string_view digits = text.substr(number_begin, pos - number_begin);
    // More digits than the longest interval has seconds can only be too long; fewer fit in
    // 64 bits however they are multiplied below.
    if (digits.size() > 9) {
      return fail(number_begin, digits.size(),
                  fmt::format("the number {} is too large: the longest interval is {}", digits,
                              format_duration(kLongestInterval)),
                  "for yearly or rarer schedules use a cron expression such as '@yearly'");
    }
    std::int64_t number = 0;
    for (char digit : digits) number = number * 10 + (digit - '0');
    if (pos == end) {
      return fail(number_begin, digits.size(), fmt::format("the number {} has no unit", digits),
                  fmt::format("add a unit, e.g. '{}s' or '{}m'; {}", digits, digits, kUnits));
    }
    if (text[pos] == '.' || text[pos] == ',') {
      return fail(pos, 1, "fractions are not allowed",
                  "combine whole units instead: '1h30m' rather than '1.5h'");
    }
    const std::size_t unit_begin = pos;
    while (pos < end && is_letter(text[pos])) ++pos;
    const std::string_view unit_text = text.substr(unit_begin, pos - unit_begin);
    if (unit_text.empty()) {
      return fail(unit_begin, 1,
                  fmt::format("unexpected '{}' after the number {}", text[unit_begin], digits),
                  std::string(kUnits));
    }
    std::optional<std::size_t> unit;
    for (std::size_t i = 0; i < kUnitTable.size(); ++i) {
      if (unit_text.size() == 1 && unit_text[0] == kUnitTable[i].letter) unit = i;
    }
    if (!unit) {
      const std::string folded = lower(unit_text);
      std::string hint(kUnits);
      if (folded.size() == 1 && folded.find_first_of("dhms") == 0) {
        hint = fmt::format("units are lowercase: write '{}'", folded);
      } else if (folded == "ms" || folded == "us" || folded == "ns") {
        hint = "the shortest interval is 1s";
      } else if (folded.size() > 1) {
        const auto close = closest_matches(
            folded, {"d", "h", "m", "s", "day", "hour", "min", "minute", "sec", "second"}, 1);
        if (!close.empty()) {
          hint = fmt::format("did you mean '{}'? {}", close.front().substr(0, 1), kUnits);
        }
      }
      return fail(unit_begin, unit_text.size(), fmt::format("unknown unit '{}'", unit_text), hint);
    }
    if (previous_unit && *unit <= *previous_unit) {
      return fail(unit_begin, 1,
                  *unit == *previous_unit ? fmt::format("the unit '{}' is given twice", unit_text)
                                          : fmt::format("the unit '{}' comes after '{}'", unit_text,
                                                        kUnitTable[*previous_unit].letter),
                  "write each unit once, largest first, e.g. '1h30m'");
    }
    previous_unit = unit;
    total += number * kUnitTable[*unit].seconds;  // at most 9 digits times 86400: no overflow
  }
  if (total == 0) {
    return fail(begin, word.size(), fmt::format("the interval '{}' is zero", word),
                "the shortest interval is 1s; " + std::string(kExample));
  }
  if (seconds(total) > kLongestInterval) {
    return fail(begin, word.size(),
                fmt::format("the interval '{}' is longer than the longest allowed, {}", word,
                            format_duration(kLongestInterval)),
                "for yearly or rarer schedules use a cron expression such as '@yearly'");
  }
  return seconds(total);
}

// Whole seconds since the epoch, rounded down to a multiple of `period` (also before 1970).
std::int64_t floor_to(std::int64_t at, std::int64_t period) {
  std::int64_t quotient = at / period;
  if (at % period != 0 && at < 0) --quotient;
  return quotient * period;
}

}  // namespace

bool is_interval_text(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size() && is_blank(text[begin])) ++begin;
  std::size_t end = begin;
  while (end < text.size() && !is_blank(text[end])) ++end;
  return lower(text.substr(begin, end - begin)) == kEveryKeyword;
}

Expected<Interval, ParseError> Interval::parse(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && is_blank(text[pos])) ++pos;
  const std::size_t keyword_begin = pos;
  while (pos < text.size() && !is_blank(text[pos])) ++pos;
  const std::string_view keyword = text.substr(keyword_begin, pos - keyword_begin);
  if (lower(keyword) != kEveryKeyword) {
    return fail(keyword_begin, keyword.size(), fmt::format("expected '@every', got '{}'", keyword),
                std::string(kExample));
  }
  while (pos < text.size() && is_blank(text[pos])) ++pos;
  if (pos == text.size()) {
    return fail(keyword_begin, keyword.size(),
                fmt::format("'{}' needs an interval after it", keyword), std::string(kExample));
  }
  const std::size_t word_begin = pos;
  while (pos < text.size() && !is_blank(text[pos])) ++pos;
  const std::size_t word_end = pos;
  while (pos < text.size() && is_blank(text[pos])) ++pos;
  if (pos != text.size()) {
    std::size_t last = text.size();
    while (last > pos && is_blank(text[last - 1])) --last;
    return fail(pos, last - pos,
                fmt::format("unexpected '{}' after the interval", text.substr(pos, last - pos)),
                "write the interval as one word, without spaces, e.g. '1h30m'");
  }
  auto period = parse_period(text, word_begin, word_end);
  if (!period) return Unexpected{period.error()};
  return Interval(*period);
}

Instant Interval::next(Instant after) const {
  return Instant(seconds(floor_to(after.time_since_epoch().count(), period_.count()))) + period_;
}

Instant Interval::previous(Instant at_or_before) const {
  return Instant(seconds(floor_to(at_or_before.time_since_epoch().count(), period_.count())));
}

std::string Interval::text() const {
  return format_duration(period_);
}

std::string explain(const Interval& interval) {
  std::int64_t rest = interval.period().count();
  std::string words;
  for (const Unit& unit : kUnitTable) {
    if (rest < unit.seconds) continue;
    const std::int64_t count = rest / unit.seconds;
    rest %= unit.seconds;
    words +=
        fmt::format("{}{} {}{}", words.empty() ? "" : " ", count, unit.name, count == 1 ? "" : "s");
  }
  std::string out = fmt::format("Every {}", words);
  if (interval.period().count() >= 60) {
    out += fmt::format(" ({} seconds)", interval.period().count());
  }
  return out + ", at whole multiples of the interval since 1970-01-01T00:00:00Z";
}

}  // namespace maintd::cron
