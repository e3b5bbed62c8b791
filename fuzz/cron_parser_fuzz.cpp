// libFuzzer target: the cron parser, then the schedule search on whatever the parser accepts.
//
// Every input is parsed. A rejection must point inside the text. An accepted expression is
// walked from fixed start instants (2024 to 2440) in UTC, Europe/Berlin and Australia/Lord_Howe
// (half-hour daylight saving), and from next to their offset changes of 2026; each slot is
// checked against the documented semantics (src/cron/schedule.hpp):
//   1. next(t) exists: a parsed expression can fire, and fires within 400 years;
//   2. next(t) > t;
//   3. the slot is a matching wall-clock time, or, for a fixed-time schedule only, the instant
//      of a forward change whose skipped civil times [before, after) hold a match (the gap
//      slot);
//   4. a fixed-time slot in repeated civil time is that civil time's first occurrence;
//   5. previous(next(t)) == next(t), and previous(next(t) - 1s), if any, is <= t: next() and
//      previous() describe the same set of slots;
//   6. when next(t) is less than a few hours away, no instant in (t, next(t)) is a slot by the
//      definition of 3 and 4 (brute force, minute by minute or second by second).
// Expression-level: parse() is deterministic, parse_syntax() accepts whatever parse() accepts,
// first_at_or_after / last_at_or_before return matching times on the right side of their
// argument.
// A violation prints what failed and aborts (libFuzzer saves the input).
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/schedule.hpp"
#include "cron/syntax.hpp"
#include "cron/time_zone.hpp"

namespace {

using maintd::Instant;
using maintd::cron::Expression;
using maintd::cron::Schedule;
using std::chrono::seconds;

std::string g_text;  // the current input, for messages

[[noreturn]] void violation(const char* what, const char* zone, std::optional<Instant> t,
                            std::optional<Instant> got) {
  std::fprintf(stderr, "\ncron_parser_fuzz: %s\n  expression: \"%s\"\n  zone: %s\n", what,
               g_text.c_str(), zone);
  if (t) std::fprintf(stderr, "  from: %s\n", maintd::format_utc(*t).c_str());
  if (got) std::fprintf(stderr, "  got:  %s\n", maintd::format_utc(*got).c_str());
  std::abort();
}

#define CHECK(cond, what, zone, t, got)         \
  do {                                          \
    if (!(cond)) violation(what, zone, t, got); \
  } while (false)

struct Zone {
  const char* name;
  cctz::time_zone tz;
  std::vector<Instant> starts;
};

Instant at(std::int64_t unix_seconds) {
  return Instant(seconds(unix_seconds));
}

std::vector<Zone> make_zones() {
  // Fixed starts: 2026-01-01T00:00:00Z, the second before 2024-02-29, the last second of 2099,
  // and 2440-01-01T00:00:00Z, past the offset changes cctz lists (its next_transition() stops
  // after 2437 while lookup() goes on applying daylight saving time).
  const std::vector<Instant> fixed = {at(1767225600), at(1709164799), at(4102444799),
                                      at(14831769600)};
  std::vector<Zone> zones;
  for (const char* name : {"UTC", "Europe/Berlin", "Australia/Lord_Howe"}) {
    auto tz = maintd::cron::load_zone(name);
    if (!tz) {
      std::fprintf(stderr, "cron_parser_fuzz: cannot load %s: %s\n", name, tz.error().c_str());
      std::abort();
    }
    Zone z{name, *tz, fixed};
    // Around the first two offset changes of 2026 (spring forward and fall back): half an hour
    // before, one second before, at, and half an hour after.
    Instant from = at(1767225600);
    for (int i = 0; i < 2; ++i) {
      cctz::time_zone::civil_transition change;
      if (!z.tz.next_transition(from, &change)) break;
      const Instant instant = z.tz.lookup(change.to).trans;
      for (int delta : {-1800, -1, 0, 1800}) z.starts.push_back(instant + seconds(delta));
      from = instant;
    }
    zones.push_back(std::move(z));
  }
  return zones;
}

bool fires_in_gap(const Expression& e, const cctz::time_zone& tz, Instant slot) {
  // A forward change exactly at `slot` skipped the civil times [before + 1s, after).
  const auto before = tz.lookup(slot - seconds(1));
  const auto after = tz.lookup(slot);
  if (after.offset <= before.offset) return false;
  const auto match = e.first_at_or_after(before.cs + 1);
  return match && *match < after.cs;
}

// Is `x` a slot, by the definition checked in 3 and 4 (independent of the search code)?
bool is_slot(const Expression& e, const cctz::time_zone& tz, Instant x) {
  const bool fixed_time = !e.keeps_real_time_cadence();
  const cctz::civil_second civil = tz.lookup(x).cs;
  if (e.matches(civil)) {
    if (!fixed_time) return true;
    const auto cl = tz.lookup(civil);
    return cl.kind != cctz::time_zone::civil_lookup::REPEATED || cl.pre == x;
  }
  return fixed_time && fires_in_gap(e, tz, x);
}

void check_slot(const Expression& e, const Zone& z, Instant t, Instant slot) {
  const bool fixed_time = !e.keeps_real_time_cadence();
  CHECK(slot > t, "next(t) <= t", z.name, t, slot);
  const cctz::civil_second civil = z.tz.lookup(slot).cs;
  if (e.matches(civil)) {
    if (fixed_time) {
      const auto cl = z.tz.lookup(civil);
      CHECK(cl.kind != cctz::time_zone::civil_lookup::REPEATED || cl.pre == slot,
            "fixed-time slot at the second occurrence of repeated civil time", z.name, t, slot);
    }
  } else {
    CHECK(fixed_time, "real-time-cadence slot does not match its civil time", z.name, t, slot);
    CHECK(fires_in_gap(e, z.tz, slot),
          "slot neither matches its civil time nor is a forward change over a matching gap", z.name,
          t, slot);
  }

  const Schedule s(e, z.tz);
  const auto back = s.previous(slot);
  CHECK(back && *back == slot, "previous(next(t)) != next(t)", z.name, t, back);
  const auto before = s.previous(slot - seconds(1));
  CHECK(!before || *before <= t, "previous(next(t) - 1s) > t: next() skipped a slot", z.name, t,
        before);

  // Brute force over short waits: every candidate instant in (t, slot) must not be a slot.
  const bool by_second = e.has_seconds_field();
  const std::int64_t wait = (slot - t).count();
  if (wait > (by_second ? 900 : 6 * 3600)) return;
  Instant x = t + seconds(1);
  while (x < slot) {
    if (!by_second) {
      // Only whole civil minutes can match, and a gap slot falls on a change (checked apart).
      const int sec = z.tz.lookup(x).cs.second();
      if (sec != 0) {
        x += seconds(60 - sec);
        continue;
      }
    }
    CHECK(!is_slot(e, z.tz, x), "next(t) passed over an earlier slot", z.name, t, x);
    x += seconds(by_second ? 1 : 60);
  }
  if (!by_second) {  // offset changes inside (t, slot) that need not be on a whole minute
    cctz::time_zone::civil_transition change;
    Instant from = t;
    while (z.tz.next_transition(from, &change)) {
      const Instant instant = z.tz.lookup(change.to).trans;
      if (instant >= slot || instant <= from) break;
      CHECK(!is_slot(e, z.tz, instant), "next(t) passed over a gap slot", z.name, t, instant);
      from = instant;
    }
  }
}

void check_civil_search(const Expression& e) {
  const cctz::civil_second probes[] = {cctz::civil_second(2026, 1, 1, 0, 0, 0),
                                       cctz::civil_second(2024, 2, 28, 23, 59, 59),
                                       cctz::civil_second(2099, 12, 31, 23, 59, 59)};
  for (const auto& c : probes) {
    const auto up = e.first_at_or_after(c);
    CHECK(up, "first_at_or_after found nothing", "-", std::nullopt, std::nullopt);
    CHECK(*up >= c && e.matches(*up), "first_at_or_after: before its argument or no match", "-",
          std::nullopt, std::nullopt);
    CHECK(e.matches_day(cctz::civil_day(*up)), "matches() but not matches_day()", "-", std::nullopt,
          std::nullopt);
    const auto down = e.last_at_or_before(c);
    CHECK(down, "last_at_or_before found nothing", "-", std::nullopt, std::nullopt);
    CHECK(*down <= c && e.matches(*down), "last_at_or_before: after its argument or no match", "-",
          std::nullopt, std::nullopt);
    if (e.matches(c)) {
      CHECK(*up == c && *down == c, "a matching argument is not its own first/last match", "-",
            std::nullopt, std::nullopt);
    }
  }
}

}  // namespace

// An `@every` text: a rejection points inside the text; an accepted interval's slots are its
// grid, the same in every zone: next(t) > t, previous(t) <= t, one period apart, multiples of
// the period since the epoch.
static void check_interval(std::string_view text, const std::vector<Zone>& zones) {
  const auto parsed = maintd::cron::parse_schedule(text);
  if (!parsed) {
    const auto& error = parsed.error();
    CHECK(error.column >= 1 && error.column <= text.size() + 1, "error column outside the text",
          "-", std::nullopt, std::nullopt);
    CHECK(error.column + error.length <= text.size() + 2, "error underline past the text", "-",
          std::nullopt, std::nullopt);
    (void)error.underline(text);
    return;
  }
  const auto period = std::get<maintd::cron::Interval>(*parsed).period();
  CHECK(period >= seconds(1) && period <= maintd::cron::kLongestInterval,
        "an interval outside 1s-366d", "-", std::nullopt, std::nullopt);
  for (const Zone& z : zones) {
    const Schedule s(*parsed, z.tz);
    for (const Instant t : z.starts) {
      const auto next = s.next(t);
      const auto previous = s.previous(t);
      CHECK(next && *next > t && *next - t <= period, "interval next(t) off the grid", z.name, t,
            next);
      CHECK(previous && *previous <= t && *next - *previous == period,
            "interval previous(t) off the grid", z.name, t, previous);
      CHECK(next->time_since_epoch().count() % period.count() == 0,
            "interval slot not a multiple of the period", z.name, t, next);
    }
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256) return -1;  // cron expressions are short; keep every input fast
  static const std::vector<Zone> zones = make_zones();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  g_text.assign(text);

  if (maintd::cron::is_interval_text(text)) {
    check_interval(text, zones);
    return 0;
  }
  const auto parsed = Expression::parse(text);
  if (!parsed) {
    const auto& error = parsed.error();
    CHECK(error.column >= 1 && error.column <= size + 1, "error column outside the text", "-",
          std::nullopt, std::nullopt);
    (void)error.to_string();
    (void)error.underline(text);
    return 0;
  }
  const Expression& e = *parsed;
  const auto again = Expression::parse(text);
  CHECK(again && *again == e, "parse() is not deterministic", "-", std::nullopt, std::nullopt);
  CHECK(maintd::cron::parse_syntax(text).has_value(), "parse() accepts what parse_syntax() rejects",
        "-", std::nullopt, std::nullopt);
  check_civil_search(e);

  for (const Zone& z : zones) {
    const Schedule s(e, z.tz);
    for (const Instant start : z.starts) {
      Instant t = start;
      for (int step = 0; step < 3; ++step) {  // walk a few slots forward
        const auto slot = s.next(t);
        if (!slot) {
          // Allowed only where the documented rules say so: a real-time-cadence schedule whose
          // wall-clock matches all fall in skipped time ("* 2 * 3 0#5" in Berlin).
          CHECK(e.keeps_real_time_cadence(), "next(t) is empty for a fixed-time expression", z.name,
                t, std::nullopt);
          const auto match = e.first_at_or_after(z.tz.lookup(t).cs);
          CHECK(match && z.tz.lookup(*match).kind == cctz::time_zone::civil_lookup::SKIPPED,
                "next(t) is empty though a wall-clock match exists outside skipped time", z.name, t,
                std::nullopt);
          break;
        }
        check_slot(e, z, t, *slot);
        t = *slot;
      }
    }
  }
  return 0;
}
