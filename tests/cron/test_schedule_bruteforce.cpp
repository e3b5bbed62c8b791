// Schedule::next()/previous() against a brute-force oracle that states the daylight-saving
// rules directly, instant by instant, with no segment walking and no civil search:
//   an instant i is a slot when the wall-clock time at i matches the expression and
//     - the schedule keeps real-time cadence (minute or hour starts with '*'), or
//     - i is the first instant that wall-clock time occurs (not the second pass of a repeat);
//   and additionally, for fixed-time schedules, a forward change at instant T is a slot when
//   some wall-clock time skipped by it matches.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace {

using maintd::Instant;
using maintd::cron::Expression;
using maintd::cron::Schedule;
using std::chrono::seconds;

bool oracle_is_slot(const Expression& expr, const cctz::time_zone& zone, Instant at) {
  const auto civil = zone.lookup(at).cs;
  if (expr.matches(civil)) {
    if (expr.keeps_real_time_cadence()) return true;
    const auto occurrences = zone.lookup(civil);
    if (occurrences.kind != cctz::time_zone::civil_lookup::REPEATED || occurrences.pre == at) {
      return true;
    }
  }
  if (expr.keeps_real_time_cadence()) return false;
  // A forward change exactly at `at`: did the skipped wall-clock time hold a match?
  const auto before = zone.lookup(at - seconds(1));
  const auto skipped_from = before.cs + 1;
  const auto now = zone.lookup(at).cs;
  for (auto c = skipped_from; c < now; ++c) {
    if (expr.matches(c)) return true;
  }
  return false;
}

std::vector<Instant> oracle_slots(const Expression& expr, const cctz::time_zone& zone, Instant lo,
                                  Instant hi, seconds resolution) {
  std::vector<Instant> slots;
  for (Instant t = lo; t <= hi; t += resolution) {
    if (oracle_is_slot(expr, zone, t)) slots.push_back(t);
  }
  return slots;
}

// Expressions that stress the hours around the changes (0-4), both cadences, and the day rules.
std::string random_expression(std::mt19937& rng, bool with_seconds) {
  auto pick = [&](const std::vector<std::string>& options) {
    return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)];
  };
  const std::string second = pick({"0", "*/20", "30", "0,45", "*/15"});
  const std::string minute = pick({"0", "30", "*", "*/15", "*/7", "0,30", "15-45/10", "59", "1"});
  const std::string hour = pick({"*", "2", "1-3", "0,2", "*/2", "3", "1", "2-4", "0"});
  const std::string dom = pick({"*", "*", "*", "L", "1-7", "15W", "*/2", "?", "25-31"});
  const std::string month = pick({"*", "*", "3,10", "3-4", "10-11", "4,9,10"});
  const std::string dow = pick({"*", "*", "*", "0", "SUN", "1-5", "0#1", "0L", "6,0", "?"});
  std::string expr = minute + " " + hour + " " + dom + " " + month + " " + dow;
  return with_seconds ? second + " " + expr : expr;
}

struct Window {
  const char* zone;
  const char* from;  // UTC, around a change
  const char* to;
};

// Days around the 2026 changes: Berlin and New York (one hour), Lord Howe (half an hour).
constexpr Window kWindows[] = {
    {"Europe/Berlin", "2026-03-28T20:00:00Z", "2026-03-29T06:00:00Z"},
    {"Europe/Berlin", "2026-10-24T20:00:00Z", "2026-10-25T06:00:00Z"},
    {"America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T12:00:00Z"},
    {"America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T10:00:00Z"},
    {"Australia/Lord_Howe", "2026-04-04T12:00:00Z", "2026-04-04T18:00:00Z"},
    {"Australia/Lord_Howe", "2026-10-03T12:00:00Z", "2026-10-03T18:00:00Z"},
    {"UTC", "2026-02-27T20:00:00Z", "2026-03-01T04:00:00Z"},
};

Instant at(const char* text) {
  return maintd::parse_instant(text, cctz::utc_time_zone()).value();
}

void check_window(const std::string& text, const Window& window, seconds resolution) {
  auto expr = Expression::parse(text);
  REQUIRE_MESSAGE(expr.has_value(), text);
  auto zone = maintd::cron::load_zone(window.zone);
  REQUIRE(zone.has_value());
  const Schedule schedule(*expr, *zone);
  const Instant lo = at(window.from);
  const Instant hi = at(window.to);
  const auto expected = oracle_slots(*expr, *zone, lo, hi, resolution);

  std::vector<Instant> forward;
  for (auto slot = schedule.next(lo - seconds(1)); slot && *slot <= hi;
       slot = schedule.next(*slot)) {
    forward.push_back(*slot);
  }
  std::vector<Instant> backward;
  for (auto slot = schedule.previous(hi); slot && *slot >= lo;
       slot = schedule.previous(*slot - seconds(1))) {
    backward.insert(backward.begin(), *slot);
  }
  auto render = [](const std::vector<Instant>& slots) {
    std::string out;
    for (auto s : slots) out += maintd::format_utc(s) + " ";
    return out;
  };
  INFO("expression: ", text, "  zone: ", std::string(window.zone),
       "  window: ", std::string(window.from), " .. ", std::string(window.to));
  CHECK_MESSAGE(render(forward) == render(expected), "next() walk differs from the oracle");
  CHECK_MESSAGE(render(backward) == render(expected), "previous() walk differs from the oracle");
}

}  // namespace

TEST_CASE("schedule: next and previous agree with a brute-force oracle around DST changes") {
  std::mt19937 rng(20261124);
  for (int i = 0; i < 120; ++i) {
    const std::string text = random_expression(rng, false);
    for (const Window& window : kWindows) check_window(text, window, seconds(60));
  }
}

TEST_CASE("schedule: six-field schedules agree with the oracle second by second") {
  std::mt19937 rng(7);
  // Second resolution is 60x the work: narrow windows holding only the change itself.
  constexpr Window kNarrow[] = {
      {"Europe/Berlin", "2026-03-29T00:40:00Z", "2026-03-29T01:20:00Z"},
      {"Europe/Berlin", "2026-10-25T00:40:00Z", "2026-10-25T01:20:00Z"},
      {"Australia/Lord_Howe", "2026-04-04T14:50:00Z", "2026-04-04T15:20:00Z"},
  };
  for (int i = 0; i < 25; ++i) {
    const std::string text = random_expression(rng, true);
    for (const Window& window : kNarrow) check_window(text, window, seconds(1));
  }
}
