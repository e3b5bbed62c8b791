// The service's pieces of pauses and one-off runs that need no daemon: reading a one-off run's
// time, and how a pause is described (CLI, API, dashboard and log say it the same way).
#include <doctest/doctest.h>

#include "service/one_off.hpp"
#include "service/pause_control.hpp"
#include "support/test_clock.hpp"

using maintd::format_utc;
using maintd::testing::instant;
using maintd::testing::TestClock;

TEST_CASE("a one-off run's time: ISO 8601 with a zone, or from now") {
  const auto now = instant("2026-12-08T01:00:00Z");
  struct Case {
    std::string text;
    std::string utc;
  };
  for (const Case& c : std::vector<Case>{{"2026-12-08T03:00:00Z", "2026-12-08T03:00:00Z"},
                                         {"2026-12-08T04:00:00+01:00", "2026-12-08T03:00:00Z"},
                                         {"2026-12-07T22:00:00-0500", "2026-12-08T03:00:00Z"},
                                         {"2026-12-08 03:00Z", "2026-12-08T03:00:00Z"},
                                         {"+10m", "2026-12-08T01:10:00Z"},
                                         {"+1h30m", "2026-12-08T02:30:00Z"},
                                         {"+90s", "2026-12-08T01:01:30Z"}}) {
    CAPTURE(c.text);
    const auto at = maintd::service::parse_due_time(c.text, now);
    REQUIRE_MESSAGE(at.has_value(), (at ? std::string() : at.error()));
    CHECK(format_utc(at.value()) == c.utc);
  }
  for (const std::string bad :
       {"", "soon", "+", "+10", "2026-12-08T03:00:00", "2026-13-01T00:00Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(maintd::service::parse_due_time(bad, now).has_value());
  }
  CHECK(maintd::service::parse_due_time("2026-12-08T03:00:00", now).error() ==
        "'2026-12-08T03:00:00' has no zone: add Z for UTC or an offset such as +01:00");
}

TEST_CASE("a pause is described with who, since, until and why, as JSON too") {
  maintd::store::PauseRecord pause;
  pause.id = 4;
  pause.paused_by = "alice@db1";
  pause.paused_at = TestClock::parse("2026-12-08T01:00:00.250Z");
  CHECK(maintd::service::describe_pause(pause) == "paused by alice@db1 since 2026-12-08T01:00:00Z");
  pause.until = TestClock::parse("2026-12-08T01:30:00.250Z");
  pause.reason = "deploy 4.2";
  CHECK(maintd::service::describe_pause(pause) ==
        "paused by alice@db1 since 2026-12-08T01:00:00Z until 2026-12-08T01:30:00Z: deploy 4.2");
  const auto json = maintd::service::pause_to_json(pause);
  CHECK(json.at("paused") == true);
  CHECK(json.at("until") == "2026-12-08T01:30:00Z");
  CHECK(maintd::service::pause_to_json(std::nullopt) == nlohmann::json{{"paused", false}});
}
