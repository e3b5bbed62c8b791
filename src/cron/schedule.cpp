// Slots of an expression in a time zone, walking the zone's offset segments.
//
// Within a segment civil time and instants map one to one (instant = civil - offset), so the
// search is the expression's civil search clipped to the segment. At each boundary:
//   forward change (gap, spring forward): civil times in [from, to) never happen. A fixed-time
//       schedule that matches one of them fires once, at the instant of the change; a schedule
//       with real-time cadence skips them.
//   backward change (repeated, fall back): civil times in [to, from) happen again. A fixed-time
//       schedule already fired for them in the first pass and skips them in the second; a
//       schedule with real-time cadence fires in both passes.
// The civil search result is reused across segments while it stays valid, so a sparse
// expression in a zone with daylight saving costs one civil search plus one zone lookup per
// segment crossed, not one search per segment.
#include "cron/schedule.hpp"

#include "cron/explain.hpp"
#include "cron/syntax.hpp"

namespace maintd::cron {
namespace {

using std::chrono::seconds;

const cctz::civil_second kUnixEpoch(1970, 1, 1, 0, 0, 0);

Instant to_instant(const cctz::civil_second& civil, int utc_offset) {
  return Instant(seconds((civil - kUnixEpoch) - utc_offset));
}

// Wall-clock time at a fixed offset. Through <chrono>'s calendar, which converts days in O(1):
// cctz's civil arithmetic from 1970 walks the years, a third of next()'s time in UTC.
cctz::civil_second civil_at(Instant instant, int utc_offset) {
  using namespace std::chrono;
  const auto local = instant + seconds(utc_offset);
  const auto day = floor<days>(local);
  const year_month_day date{day};
  const hh_mm_ss time{local - day};
  return cctz::civil_second(static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                            static_cast<unsigned>(date.day()), time.hours().count(),
                            time.minutes().count(), time.seconds().count());
}

// A satisfiable expression matches within 400 years of civil time; no zone changes its offset
// more than four times a year. Past this many segments there is no slot to find.
constexpr int kMaxSegments = 4 * 401 + 16;

// The Gregorian calendar repeats exactly every 400 years (146,097 days, a whole number of weeks).
constexpr seconds k400Years{146097LL * 86400};

// The civil search over the expression, remembering its last answer: the first (or last) match
// at or after (or before) `searched_from`. Reusable for any later (earlier) starting point that
// does not pass the answer.
struct SearchCache {
  bool valid = false;
  cctz::civil_second searched_from;
  std::optional<cctz::civil_second> match;
};

}  // namespace

Expected<ScheduleForm, ParseError> parse_schedule(std::string_view text) {
  if (is_interval_text(text)) {
    auto interval = Interval::parse(text);
    if (!interval) return Unexpected{interval.error()};
    return ScheduleForm(*interval);
  }
  auto expression = Expression::parse(text);
  if (!expression) return Unexpected{expression.error()};
  return ScheduleForm(*expression);
}

Expected<std::string, ParseError> explain_schedule(std::string_view text) {
  if (is_interval_text(text)) {
    auto interval = Interval::parse(text);
    if (!interval) return Unexpected{interval.error()};
    return explain(*interval);
  }
  // The words come from the syntax tree; compiling it as well refuses what can never fire.
  auto syntax = parse_syntax(text);
  if (!syntax) return Unexpected{syntax.error()};
  if (auto compiled = Expression::compile(*syntax); !compiled) {
    return Unexpected{compiled.error()};
  }
  return explain(*syntax);
}

Schedule::Schedule(const ScheduleForm& form, cctz::time_zone zone)
    : Schedule(std::holds_alternative<Interval>(form)
                   ? Schedule(std::get<Interval>(form), zone)
                   : Schedule(std::get<Expression>(form), zone)) {}

Schedule::Schedule(Interval interval, cctz::time_zone zone)
    : zone_(zone), every_(interval.period()) {}

Schedule::Schedule(Expression expression, cctz::time_zone zone)
    : expression_(expression), zone_(zone) {
  cctz::time_zone::civil_transition change;
  const auto latest = cctz::time_point<seconds>::max();
  if (!zone_.prev_transition(latest, &change)) {
    fixed_offset_ = zone_.lookup(Instant{}).offset;
    return;
  }
  // A last change far in the future means cctz extended ongoing rules; one in the past means
  // the offset has been constant since.
  const Instant last = zone_.lookup(change.to).trans;
  if (last > to_instant(cctz::civil_second(2100, 1, 1, 0, 0, 0), 0)) listed_changes_end_ = last;
}

std::optional<Instant> Schedule::next(Instant after) const {
  if (every_.count() != 0) return Interval::of(every_).next(after);
  if (fixed_offset_) {
    const auto match = expression_.first_at_or_after(civil_at(after + seconds(1), *fixed_offset_));
    if (!match) return std::nullopt;
    return to_instant(*match, *fixed_offset_);
  }
  return next_walk(after, 2);
}

std::optional<Instant> Schedule::next_walk(Instant after, int shifts_left) const {
  if (listed_changes_end_ && after >= *listed_changes_end_) {
    // Past the changes cctz lists: ask 400 years earlier, where they are listed.
    const auto periods = (after - *listed_changes_end_) / k400Years + 1;
    const auto earlier = next_walk(after - periods * k400Years, shifts_left);
    if (!earlier) return std::nullopt;
    return *earlier + periods * k400Years;
  }
  const bool fixed_time = !expression_.keeps_real_time_cadence();
  // The first segment is the one holding `after`, searched from the second after it; the walk
  // starts there rather than at after + 1s so that a change exactly at after + 1s is still seen
  // as the boundary it is (and its gap slot, if any, fires at it).
  Instant lo = after;
  cctz::time_zone::absolute_lookup here = zone_.lookup(lo);
  cctz::civil_second from = here.cs + 1;
  SearchCache cache;
  // Civil times before this were already lived in this segment's first pass (fixed-time only).
  std::optional<cctz::civil_second> lived_until;
  if (fixed_time) {
    cctz::time_zone::civil_transition change;
    if (zone_.prev_transition(lo + seconds(1), &change) && change.from > change.to) {
      lived_until = change.from;
    }
  }
  for (int segment = 0; segment < kMaxSegments; ++segment) {
    if (lived_until && from < *lived_until) from = *lived_until;
    if (!(cache.valid && cache.searched_from <= from && (!cache.match || *cache.match >= from))) {
      cache = {true, from, expression_.first_at_or_after(from)};
    }
    if (!cache.match) return std::nullopt;
    const cctz::civil_second match = *cache.match;

    cctz::time_zone::civil_transition end;  // the first change strictly after lo
    if (!zone_.next_transition(lo, &end)) {
      if (!listed_changes_end_) return to_instant(match, here.offset);  // no change ever again
      // lo is the last change cctz lists; the rest repeats what came 400 years earlier.
      if (shifts_left == 0) return std::nullopt;
      const auto earlier = next_walk(lo - seconds(1) - k400Years, shifts_left - 1);
      if (!earlier) return std::nullopt;
      return *earlier + k400Years;
    }
    if (match < end.from) return to_instant(match, here.offset);
    const Instant change = to_instant(end.from, here.offset);
    if (fixed_time && end.to > end.from && match < end.to) return change;  // slot in a gap
    lo = change;
    here = zone_.lookup(lo);
    from = here.cs;
    lived_until.reset();
    if (fixed_time && end.from > end.to) lived_until = end.from;
  }
  return std::nullopt;
}

std::optional<Instant> Schedule::previous(Instant at_or_before) const {
  if (every_.count() != 0) return Interval::of(every_).previous(at_or_before);
  if (fixed_offset_) {
    const auto match = expression_.last_at_or_before(civil_at(at_or_before, *fixed_offset_));
    if (!match) return std::nullopt;
    return to_instant(*match, *fixed_offset_);
  }
  if (listed_changes_end_ && at_or_before >= *listed_changes_end_) {
    const auto periods = (at_or_before - *listed_changes_end_) / k400Years + 1;
    const auto earlier = previous_walk(at_or_before - periods * k400Years);
    if (!earlier) return std::nullopt;
    return *earlier + periods * k400Years;
  }
  return previous_walk(at_or_before);
}

std::optional<Instant> Schedule::previous_walk(Instant at_or_before) const {
  const bool fixed_time = !expression_.keeps_real_time_cadence();
  Instant hi = at_or_before;  // the segment ends here, inclusive
  SearchCache cache;
  for (int segment = 0; segment < kMaxSegments; ++segment) {
    const auto here = zone_.lookup(hi);
    const cctz::civil_second until = here.cs;

    if (!(cache.valid && cache.searched_from >= until && (!cache.match || *cache.match <= until))) {
      cache = {true, until, expression_.last_at_or_before(until)};
    }
    if (!cache.match) return std::nullopt;
    const cctz::civil_second match = *cache.match;

    cctz::time_zone::civil_transition start;  // the change that began this segment
    if (!zone_.prev_transition(hi + seconds(1), &start)) return to_instant(match, here.offset);
    // In the second pass of repeated time, a fixed-time schedule fired in the first pass.
    const bool repeated = start.from > start.to;
    const cctz::civil_second earliest = fixed_time && repeated ? start.from : start.to;
    if (match >= earliest) return to_instant(match, here.offset);
    const Instant change = to_instant(start.to, here.offset);
    if (fixed_time && !repeated && match >= start.from) return change;  // slot in a gap
    hi = change - seconds(1);
  }
  return std::nullopt;
}

}  // namespace maintd::cron
