#pragma once
// The clock tests move by hand, for everything that takes a store::Clock (the run store, the
// journal, task sync and edits): copies share the time, so a test keeps one and hands out
// clock() to what it tests.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/instant.hpp"
#include "store/timestamp.hpp"

namespace maintd::testing {

class TestClock {
 public:
  explicit TestClock(store::Timestamp start = parse("2026-03-29T00:00:00.000Z"))
      : now_(std::make_shared<std::atomic<long long>>(start.time_since_epoch().count())) {}

  store::Clock clock() const {
    return [now = now_] { return store::Timestamp(std::chrono::milliseconds(now->load())); };
  }
  store::Timestamp now() const { return store::Timestamp(std::chrono::milliseconds(now_->load())); }
  // "2026-03-29T00:00:00.000Z", as the store writes it.
  std::string text() const { return store::format_timestamp(now()); }
  void advance(std::chrono::milliseconds by) { *now_ += by.count(); }
  void set(store::Timestamp at) { *now_ = at.time_since_epoch().count(); }

  static store::Timestamp parse(const std::string& text) {
    auto at = store::parse_timestamp(text);
    REQUIRE_MESSAGE(at.has_value(), "bad test timestamp " << text);
    return *at;
  }

 private:
  std::shared_ptr<std::atomic<long long>> now_;
};

// "2026-03-29T01:00:00Z" as an Instant (to the second).
inline Instant instant(const std::string& text) {
  return std::chrono::time_point_cast<std::chrono::seconds>(TestClock::parse(text));
}

}  // namespace maintd::testing
