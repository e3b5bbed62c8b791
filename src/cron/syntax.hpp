#pragma once
// The syntax tree of a cron expression: what the person wrote, item by item, with positions.
// Expression compiles it into bit sets for fast searching; explain() reads it to describe the
// schedule in the words it was written in (a bit set has forgotten that "*/5" was a step).
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "cron/parse_error.hpp"

namespace maintd::cron {

enum class FieldKind { second, minute, hour, day_of_month, month, day_of_week };
inline constexpr std::size_t kFieldCount = 6;

struct FieldInfo {
  FieldKind kind;
  const char* name;  // as used in messages: "day-of-month"
  int min;
  int max;  // day-of-week accepts 7 as Sunday; max is 7 there
};
const FieldInfo& field_info(FieldKind kind);

struct Item {
  enum class Kind {
    any,              // *  or ?    (step may apply: */5)
    value,            // 5          (a/n when step is set: a through max)
    range,            // 1-5        (1-5/2 when step is set)
    last_day,         // L          day-of-month: last day of the month
    last_weekday,     // LW         day-of-month: last Monday-to-Friday of the month
    nearest_weekday,  // 15W        day-of-month: Monday-to-Friday nearest day 15, same month
    last_of_weekday,  // 5L         day-of-week: last Friday of the month
    nth_weekday,      // 1#2        day-of-week: second Monday of the month
  };
  Kind kind = Kind::any;
  int first = 0;  // value, range start, day for W, weekday for L and #
  int last = 0;   // range end; the occurrence n for #
  int step = 0;   // 0: no step
  bool question_mark = false;
  std::size_t column = 1;  // 1-based in the expression text
  std::size_t length = 1;
};

struct Field {
  FieldKind kind = FieldKind::minute;
  std::string_view text;
  std::size_t column = 1;
  // Vixie cron's rule: a field whose text starts with '*' (or '?') is "unrestricted", even "*/2";
  // it decides whether the two day fields are OR-ed (both restricted) or AND-ed.
  bool starts_with_star = false;
  std::vector<Item> items;
};

struct Syntax {
  std::string_view text;
  std::string macro;  // "@daily" when written as a macro; the fields are then its expansion
  bool has_seconds = false;
  std::array<Field, kFieldCount> fields;  // indexed by FieldKind; seconds is "0" when absent
  const Field& field(FieldKind kind) const { return fields[static_cast<std::size_t>(kind)]; }
};

// Parses the text into a syntax tree. Checks every item against its field (ranges, names, steps,
// where L, W, # and ? may appear) but not whether the whole can ever fire: that is Expression's
// job.
Expected<Syntax, ParseError> parse_syntax(std::string_view text);

}  // namespace maintd::cron
