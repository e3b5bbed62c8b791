// explain(): one row per construct, in the words a person would use.
#include <doctest/doctest.h>

#include <string>

#include "cron/explain.hpp"
#include "cron/syntax.hpp"

namespace {
struct Row {
  const char* expr;
  const char* text;
};

constexpr Row kRows[] = {
    {"30 2 * * 1-5", "At 02:30, Monday through Friday"},
    {"* * * * *", "Every minute"},
    {"*/5 * * * *", "Every 5 minutes"},
    {"0 * * * *", "At minute 0"},
    {"0 9,12,18 * * *", "At 09:00, 12:00 and 18:00"},
    {"*/15 9-17 * * MON-FRI", "Every 15 minutes, between 09:00 and 17:59, Monday through Friday"},
    {"0,30 * * * *", "At minutes 0 and 30"},
    {"10-20 * * * *", "Every minute from 10 through 20"},
    {"0 */2 * * *", "At minute 0, every 2 hours"},
    {"0 0 1 * *", "At 00:00, on day 1 of the month"},
    {"0 0 1,15 * *", "At 00:00, on days 1 and 15 of the month"},
    {"0 0 L * *", "At 00:00, on the last day of the month"},
    {"0 0 LW * *", "At 00:00, on the last weekday of the month"},
    {"0 0 15W * *", "At 00:00, on the weekday nearest day 15 of the month"},
    {"0 0 * * 5L", "At 00:00, on the last Friday of the month"},
    {"0 0 * * 1#2", "At 00:00, on the second Monday of the month"},
    {"0 0 * * 0", "At 00:00, only on Sunday"},
    {"0 0 * * 7", "At 00:00, only on Sunday"},
    {"0 0 1 * 1", "At 00:00, on day 1 of the month or only on Monday"},
    {"0 0 */2 * 1", "At 00:00, every 2 days, only on Monday"},
    {"0 0 1 1 *", "At 00:00, on day 1 of the month, only in January"},
    {"0 0 * 1-3 *", "At 00:00, January through March"},
    {"0 0 * */3 *", "At 00:00, every 3 months"},
    {"@daily", "At 00:00"},
    {"@weekly", "At 00:00, only on Sunday"},
    {"*/10 * * * * *", "Every 10 seconds"},
    {"0 30 2 * * *", "At 02:30:00"},
    {"15 */5 * * * *", "At second 15, every 5 minutes"},
    {"0 0 ? * MON", "At 00:00, only on Monday"},
};
}  // namespace

TEST_CASE("explain: plain English for each construct") {
  for (const Row& row : kRows) {
    auto syntax = maintd::cron::parse_syntax(row.expr);
    REQUIRE_MESSAGE(syntax.has_value(), row.expr);
    CAPTURE(std::string(row.expr));
    CHECK(maintd::cron::explain(*syntax) == std::string(row.text));
  }
}
