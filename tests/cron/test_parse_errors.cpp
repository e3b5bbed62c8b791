// Rejected expressions: for every class of mistake, the column (1-based, of the first character
// of the offending token), the field it belongs to, and what the message must say. The message
// must quote the offending value so that a person can find it without counting columns, and, where
// the reason is easy to get wrong ("never" for expressions that can never fire), must say why.
//
// Columns and fields were worked out by hand from the text; wording checks are substrings only.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "cron/table_support.hpp"

namespace maintd::cron::table {
namespace {

struct ErrorRow {
  std::string_view expr;
  std::size_t column;
  std::string_view field;
  std::string_view mentions;  // the offending value as written; empty when there is none
  std::string_view reason;    // a word the message must contain; empty when `mentions` suffices
};

// clang-format off
constexpr ErrorRow kErrors[] = {
    // --- out-of-range values
    {"60 * * * *", 1, "minute", "60", "out of range"},
    {"* 24 * * *", 3, "hour", "24", "out of range"},
    {"* * 0 * *", 5, "day-of-month", "0", "out of range"},
    {"* * 32 * *", 5, "day-of-month", "32", "out of range"},
    {"* * * 0 *", 7, "month", "0", "out of range"},
    {"* * * 13 *", 7, "month", "13", "out of range"},
    {"* * * * 8", 9, "day-of-week", "8", "out of range"},
    {"60 * * * * *", 1, "second", "60", "out of range"},
    // the range end is the offending value
    {"0-60 * * * *", 3, "minute", "60", "out of range"},
    {"5,99 * * * *", 3, "minute", "99", "out of range"},
    {"0 12-25 * * *", 6, "hour", "25", "out of range"},
    {"0 0 * * 0-8", 11, "day-of-week", "8", "out of range"},
    {"0 0 * * 8#1", 9, "day-of-week", "8", "out of range"},
    {"0 0 32W * *", 5, "day-of-month", "32", "out of range"},
    // columns count the leading blanks
    {"  60 * * * *", 3, "minute", "60", "out of range"},
    // --- reversed ranges
    {"30-10 * * * *", 1, "minute", "30", "reversed"},
    {"0 22-2 * * *", 3, "hour", "22", "reversed"},
    {"0 0 20-10 * *", 5, "day-of-month", "20", "reversed"},
    {"0 0 * NOV-FEB *", 7, "month", "NOV", "reversed"},
    {"0 0 * * FRI-MON", 9, "day-of-week", "FRI", "reversed"},
    // --- zero steps
    {"*/0 * * * *", 3, "minute", "0", "step 0"},
    {"0 */0 * * *", 5, "hour", "0", "step 0"},
    {"0 0 1-10/0 * *", 10, "day-of-month", "0", "step 0"},
    {"*/0 * * * * *", 3, "second", "0", "step 0"},
    // --- steps larger than the field's span
    {"*/60 * * * *", 3, "minute", "60", "larger than"},
    {"0 */24 * * *", 5, "hour", "24", "larger than"},
    {"0 0 */31 * *", 7, "day-of-month", "31", "larger than"},
    {"0 0 1 */12 *", 9, "month", "12", "larger than"},
    {"*/60 * * * * *", 3, "second", "60", "larger than"},
    {"0-59/60 * * * *", 6, "minute", "60", "larger than"},
    // --- unknown names
    {"0 0 1 FOO *", 7, "month", "FOO", "unknown name"},
    {"0 0 * * FUN", 9, "day-of-week", "FUN", "unknown name"},
    {"0 0 1 JANUARY *", 7, "month", "JANUARY", "unknown name"},
    {"0 0 * * MONDAY", 9, "day-of-week", "MONDAY", "unknown name"},
    {"0 0 1 JAN-FOO *", 11, "month", "FOO", "unknown name"},
    // --- names in numeric fields
    {"MON * * * *", 1, "minute", "MON", "name"},
    {"0 JAN * * *", 3, "hour", "JAN", "name"},
    {"0 0 MON * *", 5, "day-of-month", "MON", "name"},
    // a day name in the month field
    {"0 0 * MON *", 7, "month", "MON", "name"},
    // a month name in the day-of-week field
    {"0 0 * * JAN", 9, "day-of-week", "JAN", "name"},
    {"SUN 0 0 * * *", 1, "second", "SUN", "name"},
    // --- wrong field count
    {"* * * *", 1, "expression", "4", "5 or 6 fields"},
    {"*", 1, "expression", "1", "5 or 6 fields"},
    // a field-count error is about the whole expression
    {"* * * * * * *", 1, "expression", "7", "5 or 6 fields"},
    // --- empty expression
    {"", 1, "expression", "", "empty"},
    {"   ", 1, "expression", "", "empty"},
    // --- empty list items
    // the empty item starts where the second comma is
    {"1,,2 * * * *", 3, "minute", "", "empty list item"},
    {"1, * * * *", 3, "minute", "", "empty list item"},
    {",1 * * * *", 1, "minute", "", "empty list item"},
    // --- ? outside the day fields
    {"? * * * *", 1, "minute", "?", "only allowed in"},
    {"0 ? * * *", 3, "hour", "?", "only allowed in"},
    {"0 0 * ? *", 7, "month", "?", "only allowed in"},
    {"? 0 0 * * *", 1, "second", "?", "only allowed in"},
    // --- L, W and # in the wrong field
    {"L * * * *", 1, "minute", "L", "only allowed in"},
    {"0 L * * *", 3, "hour", "L", "only allowed in"},
    {"0 0 * L *", 7, "month", "L", "only allowed in"},
    // the offending token is the letter, not the day before it
    {"1W * * * *", 2, "minute", "W", "only allowed in"},
    // W needs a day before it, as in 15W
    {"0 0 W * *", 5, "day-of-month", "W", ""},
    {"0 0 * * 5W", 10, "day-of-week", "W", "only allowed in"},
    // LW belongs in day-of-month; the message must say so
    {"0 0 * * LW", 9, "day-of-week", "LW", "day-of-month"},
    {"0 0 1#2 * *", 6, "day-of-month", "#", "only allowed in"},
    {"0 0 * 1#2 *", 8, "month", "#", "only allowed in"},
    // --- # occurrence out of range
    {"0 0 * * 1#6", 11, "day-of-week", "6", "out of range 1-5"},
    {"0 0 * * 1#0", 11, "day-of-week", "0", "out of range 1-5"},
    // --- macros
    {"@fortnightly", 1, "expression", "@fortnightly", "unknown macro"},
    {"@reboot", 1, "expression", "@reboot", "not a schedule"},
    // --- garbage characters
    {"x * * * *", 1, "minute", "x", "unexpected"},
    {"0 ~ * * *", 3, "hour", "~", "unexpected"},
    {"0 0 % * *", 5, "day-of-month", "%", "unexpected"},
    {"0 0 * * $", 9, "day-of-week", "$", "unexpected"},
    {"/5 * * * *", 1, "minute", "/", "unexpected"},
    {"- * * * *", 1, "minute", "-", "unexpected"},
    // --- expressions that can never fire
    {"0 0 30 2 *", 5, "day-of-month", "30", "never"},
    {"0 0 31 4,6,9,11 *", 5, "day-of-month", "31", "never"},
    {"0 0 31 2,4 *", 5, "day-of-month", "31", "never"},
    {"0 0 30W 2 *", 5, "day-of-month", "30", "never"},
    // ? is unrestricted, so the days are AND-ed
    {"0 0 30 2 ?", 5, "day-of-month", "30", "never"},
    // */2 is unrestricted too
    {"0 0 30 2 */2", 5, "day-of-month", "30", "never"},
    {"0 0 0 30-31 2 *", 7, "day-of-month", "30", "never"},
    // */6 is Sun,Sat, AND-ed with LW (always Mon-Fri); the clash spans both day fields
    {"0 0 LW * */6", 5, "expression", "LW", "never"},
    // days 1 and 21, but December's last Friday is the 25th-31st
    {"0 0 */20 12 5L", 5, "expression", "*/20", "never"},
};
// clang-format on

// Edge cases that look wrong but are valid: each must parse (and so must be able to fire).
constexpr std::string_view kAccepted[] = {
    "0 0 30 2 1",         // the OR rule: every Monday in February fires
    "0 0 31 4 1",         // likewise, Mondays in April
    "0 0 29 2 *",         // fires in leap years
    "0 0 L 2 *",          // the last day exists in every month
    "0 0 * 2 0#5",        // a fifth Sunday in February happens in some leap years (2032)
    "0 0 31 1-2 *",       // January has a 31st
    "0 0 31W * *",        // months with a 31st exist
    "0 0 29W 2 *",        // leap Februaries
    "0 */23 * * *",       // a step within the span
    "0 0 */30 * *",       // 1 and 31
    "0 0 1 */11 *",       // January and December
    "0 0 * * 0-7",        // 7 is Sunday
    "0 0 * * FRI-SUN",    // SUN ends a range as 7
    "0 0 ? * ?",          // ? in both day fields
    "0 0 1 jan-MAR mon",  // names in any case
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

void check_error(const ErrorRow& row) {
  const std::string expr(row.expr);
  CAPTURE(expr);
  const auto parsed = Expression::parse(row.expr);
  if (parsed.has_value()) {
    FAIL_CHECK("accepted, but should have been rejected");
    return;
  }
  const ParseError& error = parsed.error();
  const std::string message = error.message;
  const std::string hint = error.hint;
  CAPTURE(message);
  CAPTURE(hint);
  CHECK(error.column == row.column);
  CHECK(error.field == row.field);
  CHECK_FALSE(message.empty());
  if (!row.mentions.empty()) {
    CHECK_MESSAGE(contains(message, row.mentions), "the message does not quote '",
                  std::string(row.mentions), "'");
  }
  if (!row.reason.empty()) {
    CHECK_MESSAGE(contains(message, row.reason), "the message does not say '",
                  std::string(row.reason), "'");
  }
}

}  // namespace

TEST_CASE("parse errors: column, field and message for each kind of mistake") {
  for (const ErrorRow& row : kErrors) check_error(row);
}

TEST_CASE("parse errors: valid edge cases are accepted") {
  for (const std::string_view text : kAccepted) {
    const std::string expr(text);
    CAPTURE(expr);
    const auto parsed = Expression::parse(text);
    if (!parsed.has_value()) FAIL_CHECK("rejected: ", parsed.error().message);
  }
}

}  // namespace maintd::cron::table
