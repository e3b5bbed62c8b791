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

namespace maintd::cron {
namespace {

using std::chrono::seconds;

const cctz::civil_second kUnixEpoch(1970, 1, 1, 0, 0, 0);

Instant to_instant(const cctz::civil_second& civil, int utc_offset) {
  return Instant(seconds((civil - kUnixEpoch) - utc_offset));
}

// A satisfiable expression matches within 400 years of civil time; no zone changes its offset
// more than four times a year. Past this many segments there is no slot to find.
constexpr int kMaxSegments = 4 * 401 + 16;

// The civil search over the expression, remembering its last answer: the first (or last) match
// at or after (or before) `searched_from`. Reusable for any later (earlier) starting point that
// does not pass the answer.
struct SearchCache {
  bool valid = false;
  cctz::civil_second searched_from;
  std::optional<cctz::civil_second> match;
};

}  // namespace

std::optional<Instant> Schedule::next(Instant after) const {
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
    if (!zone_.next_transition(lo, &end) || match < end.from) {
      return to_instant(match, here.offset);
    }
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
