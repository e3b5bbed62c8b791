// Google Benchmark: Schedule::next() and Expression::parse() on a fixed set of expressions.
//
// next(): every iteration asks for the slot strictly after the previous result, so the loop walks
// forward through the schedule the way the daemon does; every `reset_every` iterations the walk
// goes back to kStart. 1000 for ordinary expressions; fewer for the sparse ones so that no walk
// goes further than about 2000 years past the start (the 5th Monday of February comes every
// ~28 years on average: 1000 steps would reach year 30000).
//
// kStart is 2026-03-27T00:00:00Z: the walks of the frequent expressions in Europe/Berlin cross the
// spring-forward change of 2026-03-29 (01:00Z) once per reset, so the figures include it.
//
// Benchmark names are "next[ZONE] EXPR" and "parse EXPR"; bench/cron_vs_croniter.sh parses them.
// Run: build/release/bench/cron_next_bench --benchmark_repetitions=5
//          --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "common/instant.hpp"
#include "cron/expression.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace {

struct Case {
  const char* group;  // common, sparse, seconds
  const char* expression;
  const char* zone;
  int reset_every;  // iterations between returns to kStart
};

// Keep in step with CASES in bench/croniter_next.py.
constexpr Case kCases[] = {
    // Common schedules.
    {"common", "*/5 * * * *", "UTC", 1000},
    {"common", "0 * * * *", "UTC", 1000},
    {"common", "30 2 * * 1-5", "UTC", 1000},
    {"common", "0 0 1 * *", "UTC", 1000},
    {"common", "15,45 9-17 * * MON-FRI", "UTC", 1000},
    // Sparse. Under the Vixie OR rule "0 0 29 2 1" is 29 February OR any Monday in February.
    {"sparse", "0 0 29 2 1", "UTC", 1000},
    {"sparse", "0 0 29 2 *", "UTC", 500},      // every 4 years (8 across 2100)
    {"sparse", "0 0 * 2 1#5", "UTC", 70},      // 5th Monday of February: leap years whose
                                               // 1 February is a Monday, ~every 28 years
    {"sparse", "0 0 31 12 5#5", "UTC", 1000},  // OR rule: 31 December or the 5th Friday of December
    // Seconds field (six fields, seconds first).
    {"seconds", "*/10 * * * * *", "UTC", 1000},
    {"seconds", "0 */5 * * * *", "UTC", 1000},
    // The common ones in a zone with daylight saving time.
    {"common", "*/5 * * * *", "Europe/Berlin", 1000},
    {"common", "0 * * * *", "Europe/Berlin", 1000},
    {"common", "30 2 * * 1-5", "Europe/Berlin", 1000},
    {"common", "0 0 1 * *", "Europe/Berlin", 1000},
    {"common", "15,45 9-17 * * MON-FRI", "Europe/Berlin", 1000},
};

const maintd::Instant kStart{std::chrono::seconds{1774569600}};  // 2026-03-27T00:00:00Z

void bench_next(benchmark::State& state, const Case& c) {
  auto expression = maintd::cron::Expression::parse(c.expression);
  if (!expression) {
    state.SkipWithError(("parse failed: " + expression.error().to_string()).c_str());
    return;
  }
  auto zone = maintd::cron::load_zone(c.zone);
  if (!zone) {
    state.SkipWithError(("zone: " + zone.error()).c_str());
    return;
  }
  const maintd::cron::Schedule schedule(*expression, *zone);
  maintd::Instant at = kStart;
  int steps = 0;
  for (auto _ : state) {
    if (steps == c.reset_every) {
      at = kStart;
      steps = 0;
    }
    const std::optional<maintd::Instant> next = schedule.next(at);
    benchmark::DoNotOptimize(next);
    if (!next) {
      state.SkipWithError(("no slot after " + maintd::format_utc(at)).c_str());
      break;
    }
    at = *next;
    ++steps;
  }
  state.SetLabel(c.group);
}

void bench_parse(benchmark::State& state, const char* text) {
  for (auto _ : state) {
    auto expression = maintd::cron::Expression::parse(text);
    benchmark::DoNotOptimize(expression);
    if (!expression) {
      state.SkipWithError(("parse failed: " + expression.error().to_string()).c_str());
      break;
    }
  }
}

// Registered before main() (benchmark_main provides it).
const bool kRegistered = [] {
  for (const Case& c : kCases) {
    const std::string name = std::string("next[") + c.zone + "] " + c.expression;
    benchmark::RegisterBenchmark(name.c_str(), bench_next, c);
  }
  std::set<std::string> seen;
  for (const Case& c : kCases) {
    if (seen.insert(c.expression).second) {
      const std::string name = std::string("parse ") + c.expression;
      benchmark::RegisterBenchmark(name.c_str(), bench_parse, c.expression);
    }
  }
  return true;
}();

}  // namespace
