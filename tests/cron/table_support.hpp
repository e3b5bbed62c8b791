#pragma once
// Shared machinery for the table-driven cron suites: row types, parse/load helpers that fail the
// test instead of crashing, and checkers that walk a row's expected slots one by one.
//
// The expected values in the tables were derived independently of the engine (by hand and with a
// separate reference model), so these helpers deliberately avoid the engine's own instant
// parsing and formatting (common/instant.hpp): a table failure then always points at the schedule
// search, never at a formatting helper that happens to agree with it.
#include <cctz/time_zone.h>
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace maintd::cron::table {

// Every expected slot is written as UTC in this one form.
inline constexpr const char* kUtcFormat = "%Y-%m-%dT%H:%M:%SZ";
inline constexpr std::size_t kMaxSlots = 5;

// A row for next(): the first entry of `next` is next(from), each later one is next() of the
// entry before it. Unused trailing entries stay empty.
struct NextRow {
  std::string_view expr;
  std::string_view tz;
  std::string_view from;
  std::array<std::string_view, kMaxSlots> next;
};

// A row for previous(): the first entry is previous(at), each later one is previous() of the
// entry before it minus one second (previous() is inclusive, so stepping back is needed).
struct PreviousRow {
  std::string_view expr;
  std::string_view tz;
  std::string_view at;
  std::array<std::string_view, kMaxSlots> previous;
};

inline std::optional<Instant> parse_utc(std::string_view text) {
  Instant instant;
  if (!cctz::parse(kUtcFormat, std::string(text), cctz::utc_time_zone(), &instant)) {
    return std::nullopt;
  }
  return instant;
}

inline std::string to_utc(Instant instant) {
  return cctz::format(kUtcFormat, instant, cctz::utc_time_zone());
}

inline std::string to_utc(const std::optional<Instant>& instant) {
  return instant ? to_utc(*instant) : std::string("(no slot)");
}

// A malformed instant in a table is a bug in the table, reported as such.
inline std::optional<Instant> parse_utc_or_fail(std::string_view text) {
  auto instant = parse_utc(text);
  if (!instant) FAIL_CHECK("table error: not a UTC instant: ", std::string(text));
  return instant;
}

inline std::optional<Expression> parse_or_fail(std::string_view text) {
  auto parsed = Expression::parse(text);
  if (!parsed.has_value()) {
    const ParseError& error = parsed.error();
    FAIL_CHECK("expression rejected: '", std::string(text), "' column ", error.column, " (",
               error.field, "): ", error.message);
    return std::nullopt;
  }
  return parsed.value();
}

inline std::optional<cctz::time_zone> load_zone_or_fail(std::string_view name) {
  auto zone = load_zone(name);
  if (!zone.has_value()) {
    FAIL_CHECK("zone not loaded: ", std::string(name), ": ", zone.error());
    return std::nullopt;
  }
  return zone.value();
}

inline std::optional<Schedule> schedule_or_fail(std::string_view expr, std::string_view tz) {
  auto expression = parse_or_fail(expr);
  auto zone = load_zone_or_fail(tz);
  if (!expression || !zone) return std::nullopt;
  return Schedule(*expression, *zone);
}

inline std::size_t slot_count(const std::array<std::string_view, kMaxSlots>& slots) {
  std::size_t count = 0;
  while (count < slots.size() && !slots[count].empty()) ++count;
  return count;
}

inline void check_next(const NextRow& row) {
  const std::string expr(row.expr);
  const std::string tz(row.tz);
  const std::string from(row.from);
  CAPTURE(expr);
  CAPTURE(tz);
  CAPTURE(from);
  const std::size_t count = slot_count(row.next);
  if (count == 0) {
    FAIL_CHECK("table error: a row needs at least one expected slot");
    return;
  }
  const auto schedule = schedule_or_fail(row.expr, row.tz);
  auto after = parse_utc_or_fail(row.from);
  if (!schedule || !after) return;
  for (std::size_t index = 0; index < count; ++index) {
    CAPTURE(index);
    const std::string expected(row.next[index]);
    const std::string got = to_utc(schedule->next(*after));
    CHECK(got == expected);
    // Continue from the expected slot rather than the computed one: a single wrong slot is then
    // reported once instead of shifting every comparison after it.
    after = parse_utc_or_fail(expected);
    if (!after) return;
  }
}

inline void check_previous(const PreviousRow& row) {
  const std::string expr(row.expr);
  const std::string tz(row.tz);
  const std::string at(row.at);
  CAPTURE(expr);
  CAPTURE(tz);
  CAPTURE(at);
  const std::size_t count = slot_count(row.previous);
  if (count == 0) {
    FAIL_CHECK("table error: a row needs at least one expected slot");
    return;
  }
  const auto schedule = schedule_or_fail(row.expr, row.tz);
  auto at_or_before = parse_utc_or_fail(row.at);
  if (!schedule || !at_or_before) return;
  for (std::size_t index = 0; index < count; ++index) {
    CAPTURE(index);
    const std::string expected(row.previous[index]);
    const std::string got = to_utc(schedule->previous(*at_or_before));
    CHECK(got == expected);
    // As in check_next, step on from the expected slot so that one error is reported once.
    at_or_before = parse_utc_or_fail(expected);
    if (!at_or_before) return;
    *at_or_before -= std::chrono::seconds(1);
  }
}

inline void check_next_rows(std::span<const NextRow> rows) {
  for (const NextRow& row : rows) check_next(row);
}

inline void check_previous_rows(std::span<const PreviousRow> rows) {
  for (const PreviousRow& row : rows) check_previous(row);
}

}  // namespace maintd::cron::table
