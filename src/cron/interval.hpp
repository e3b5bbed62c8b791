#pragma once
// `@every <interval>`: a schedule of fixed intervals, beside cron expressions ("@every 90s",
// "@every 15m", "@every 1h30m").
//
// Terms used below:
//   period - the interval, in whole seconds: at least 1s, at most kLongestInterval.
//   grid   - the instants n * period counted from the Unix epoch (1970-01-01T00:00:00Z), n any
//            integer. These are the schedule's slots.
//
// Why a grid fixed to the epoch, rather than "the last run's start plus the period": the slot
// is then a function of the period alone. Every instance sharing a state database, every
// restart and `maintd next` (which reads no history) compute the same instants, so the UNIQUE
// (task, slot) claim still lets exactly one instance run each slot, and a restart keeps the
// phase without anything stored. Consecutive scheduled runs are still one period apart: the
// next slot after a run's slot is that slot plus the period. An anchor read from the last run
// would not be shared: two instances that re-read it at different moments (a reload on each
// host, a slot between the two) would hold two grids, and their slots would never collide.
//
// Time zones do not apply: the period is elapsed time ("@every 1d" is 86,400 s, which is not
// always the same wall-clock time across a daylight-saving change; a cron expression is).
#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "common/instant.hpp"
#include "cron/parse_error.hpp"

namespace maintd::cron {

// The keyword; matched without regard to case, like the macros.
inline constexpr std::string_view kEveryKeyword = "@every";
// Longer periods are refused: a yearly or rarer schedule reads better as a cron expression, and
// the bound keeps every sum of periods far from overflowing.
inline constexpr std::chrono::seconds kLongestInterval{366LL * 86400};

class Interval {
 public:
  // Parses a whole schedule text, "@every 1h30m". Units s, m, h, d, largest first, each once;
  // rejects an empty, zero, negative, fractional, unit-less or too long interval, unknown
  // units and anything after the interval, each with its column (1-based in `text`), the reason
  // and what to write instead.
  static Expected<Interval, ParseError> parse(std::string_view text);
  // A period already validated (1s to kLongestInterval).
  static Interval of(std::chrono::seconds period) { return Interval(period); }

  std::chrono::seconds period() const { return period_; }
  // The first grid instant strictly after `after`, and the last at or before `at_or_before`.
  Instant next(Instant after) const;
  Instant previous(Instant at_or_before) const;
  // The period in its shortest form, "1h30m".
  std::string text() const;

  friend bool operator==(const Interval&, const Interval&) = default;

 private:
  explicit Interval(std::chrono::seconds period) : period_(period) {}
  std::chrono::seconds period_;
};

// Whether `text` is written as an interval: its first word is @every (in any case). Such a
// text is parsed by Interval::parse, never as a cron expression.
bool is_interval_text(std::string_view text);

// "Every 1 hour 30 minutes (5400 seconds), at whole multiples of the interval since
// 1970-01-01T00:00:00Z".
std::string explain(const Interval& interval);

}  // namespace maintd::cron
