// Cron syntax: fields, list items, ranges, steps, names, macros and the L/W/#/? extensions.
// Every rejection carries the column of the offending token and a reason a person can act on.
#include "cron/syntax.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include "common/suggest.hpp"

namespace maintd::cron {
namespace {

constexpr std::array<FieldInfo, kFieldCount> kFields = {{
    {FieldKind::second, "second", 0, 59},
    {FieldKind::minute, "minute", 0, 59},
    {FieldKind::hour, "hour", 0, 23},
    {FieldKind::day_of_month, "day-of-month", 1, 31},
    {FieldKind::month, "month", 1, 12},
    {FieldKind::day_of_week, "day-of-week", 0, 7},
}};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

constexpr std::string_view kFiveFieldHint =
    "write 5 fields 'minute hour day-of-month month day-of-week' (e.g. '*/5 * * * *'), 6 with "
    "seconds first, or a macro such as '@daily'";

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Parses one comma-separated field. `offset` is the 0-based position of the field in the text.
class FieldParser {
 public:
  FieldParser(FieldKind kind, std::string_view text, std::size_t offset)
      : info_(field_info(kind)), text_(text), offset_(offset) {}

  Expected<Field, ParseError> parse() {
    Field field;
    field.kind = info_.kind;
    field.text = text_;
    field.column = offset_ + 1;
    field.starts_with_star = !text_.empty() && (text_[0] == '*' || text_[0] == '?');
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? text_.size() : comma;
      if (end == start) {
        return fail(start, 1, "empty list item",
                    "remove the extra comma; list items are separated by single commas");
      }
      auto item = parse_item(start, end);
      if (!item) return Unexpected{item.error()};
      field.items.push_back(*item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return field;
  }

 private:
  Unexpected<ParseError> fail(std::size_t pos, std::size_t len, std::string message,
                              std::string hint = {}) const {
    return Unexpected{ParseError{offset_ + pos + 1, std::max<std::size_t>(len, 1), info_.name,
                                 std::move(message), std::move(hint)}};
  }

  bool is_day_field() const {
    return info_.kind == FieldKind::day_of_month || info_.kind == FieldKind::day_of_week;
  }

  // A number or (in month and day-of-week) a name, starting at `pos`. Advances `pos`.
  Expected<int, ParseError> parse_value(std::size_t& pos, std::size_t end) const {
    const std::size_t begin = pos;
    if (pos < end && std::isdigit(static_cast<unsigned char>(text_[pos]))) {
      while (pos < end && std::isdigit(static_cast<unsigned char>(text_[pos]))) ++pos;
      const std::string_view digits = text_.substr(begin, pos - begin);
      int value = 0;
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || value > info_.max ||
          value < info_.min) {
        return fail(begin, digits.size(),
                    fmt::format("value {} is out of range {}-{}", digits, info_.min, info_.max),
                    named_values_hint());
      }
      return value;
    }
    if (pos < end && std::isalpha(static_cast<unsigned char>(text_[pos]))) {
      while (pos < end && std::isalpha(static_cast<unsigned char>(text_[pos]))) ++pos;
      return name_value(begin, pos);
    }
    if (pos >= end) {
      return fail(pos, 1, "a value is missing here", range_hint());
    }
    return fail(pos, 1, fmt::format("unexpected character '{}'", text_[pos]), range_hint());
  }

  // Fields with names say so; a numeric field's range is already in the message.
  std::string named_values_hint() const {
    return info_.kind == FieldKind::month || info_.kind == FieldKind::day_of_week ? range_hint()
                                                                                  : "";
  }

  std::string range_hint() const {
    switch (info_.kind) {
      case FieldKind::month:
        return "months are 1-12 or JAN-DEC";
      case FieldKind::day_of_week:
        return "days of the week are 0-7 (0 and 7 are Sunday) or SUN-SAT";
      default:
        return fmt::format("{} takes numbers {}-{}", info_.name, info_.min, info_.max);
    }
  }

  Expected<int, ParseError> name_value(std::size_t begin, std::size_t end) const {
    const std::string_view word = text_.substr(begin, end - begin);
    const std::string name = upper(word);
    auto is_one_of = [&](auto const& names) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    // A month name in day-of-week (or the reverse) is a slip worth naming as such.
    const char* kind_of_name = is_one_of(kMonthNames) ? "a month name"
                               : is_one_of(kDayNames) ? "a day name"
                                                      : nullptr;
    auto lookup = [&](auto const& names, int first) -> Expected<int, ParseError> {
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return first + static_cast<int>(i);
      }
      if (kind_of_name != nullptr) {
        return fail(begin, word.size(),
                    fmt::format("'{}' is {}, not a {} name", word, kind_of_name,
                                info_.kind == FieldKind::month ? "month" : "day"),
                    range_hint());
      }
      std::vector<std::string> candidates(names.begin(), names.end());
      const auto close = closest_matches(name, candidates, 1);
      return fail(begin, word.size(), fmt::format("unknown name '{}'", word),
                  close.empty() ? range_hint() : fmt::format("did you mean '{}'?", close.front()));
    };
    if (info_.kind == FieldKind::month) return lookup(kMonthNames, 1);
    if (info_.kind == FieldKind::day_of_week) return lookup(kDayNames, 0);
    if (info_.kind == FieldKind::day_of_month && name == "W") {
      return fail(begin, word.size(), "'W' needs a day number before it",
                  "e.g. '15W' is the weekday nearest the 15th");
    }
    if (name == "L" || name == "LW" || name == "W") {
      return fail(begin, word.size(),
                  fmt::format("'{}' is only allowed in day-of-month (and 'L' after a weekday in "
                              "day-of-week)",
                              word));
    }
    if (kind_of_name != nullptr) {
      return fail(begin, word.size(), fmt::format("'{}' is {}", word, kind_of_name), range_hint());
    }
    return fail(begin, word.size(), fmt::format("unexpected name '{}'", word), range_hint());
  }

  Expected<int, ParseError> parse_step(std::size_t& pos, std::size_t end) const {
    const std::size_t begin = pos;
    while (pos < end && std::isdigit(static_cast<unsigned char>(text_[pos]))) ++pos;
    if (pos == begin) {
      return fail(begin, 1, "a step must be a number after '/'", "e.g. '*/5'");
    }
    const std::string_view digits = text_.substr(begin, pos - begin);
    int step = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
    const int span = info_.max - info_.min;  // day-of-week: 0-7 spans one week plus Sunday again
    if (ec == std::errc{} && step == 0) {
      return fail(begin, digits.size(), "step 0 is not allowed", "a step must be at least 1");
    }
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || step > span) {
      return fail(begin, digits.size(),
                  fmt::format("step {} is larger than the {} range {}-{}", digits, info_.name,
                              info_.min, info_.max),
                  "only the first value would ever match; write that value instead");
    }
    return step;
  }

  Expected<Item, ParseError> parse_item(std::size_t start, std::size_t end) const {
    Item item;
    item.column = offset_ + start + 1;
    item.length = end - start;
    const std::string_view token = text_.substr(start, end - start);
    const std::string token_upper = upper(token);
    std::size_t pos = start;

    // '*' and '?' (the latter only in the day fields), optionally stepped.
    if (token[0] == '*' || token[0] == '?') {
      if (token[0] == '?') {
        if (!is_day_field()) {
          return fail(start, 1, "'?' is only allowed in day-of-month and day-of-week",
                      "use '*' here");
        }
        if (token.size() > 1) {
          return fail(start, token.size(),
                      fmt::format("unexpected '{}' after '?'", token.substr(1)),
                      "'?' stands alone and means any day");
        }
        item.question_mark = true;
        item.first = info_.min;
        item.last = info_.max;
        return item;
      }
      item.kind = Item::Kind::any;
      // As in cronie, '*' spans the field's whole range; for day-of-week that is 0-7, so
      // '*/7' is Sunday and '1/2' reaches 7 (Sunday again).
      item.first = info_.min;
      item.last = info_.max;
      pos = start + 1;
      if (pos == end) return item;
      if (text_[pos] != '/') {
        return fail(pos, end - pos,
                    fmt::format("unexpected '{}' after '*'", text_.substr(pos, end - pos)),
                    "write '*' or '*/step'");
      }
      ++pos;
      auto step = parse_step(pos, end);
      if (!step) return Unexpected{step.error()};
      item.step = *step;
      if (pos != end) return trailing(pos, end);
      return item;
    }

    // Day-of-month extensions: L, LW, nW.
    if (token_upper == "L" || token_upper == "LW") {
      if (info_.kind == FieldKind::day_of_week && token_upper == "L") {
        return fail(start, token.size(), "'L' in day-of-week needs a weekday before it",
                    "e.g. '5L' is the last Friday of the month; in day-of-month, 'L' is the "
                    "last day");
      }
      if (info_.kind != FieldKind::day_of_month) {
        return fail(start, token.size(), fmt::format("'{}' is only allowed in day-of-month", token),
                    info_.kind == FieldKind::day_of_week
                        ? "in day-of-week, write e.g. '5L' for the last Friday of the month"
                        : "");
      }
      item.kind = token_upper == "L" ? Item::Kind::last_day : Item::Kind::last_weekday;
      return item;
    }

    auto first = parse_value(pos, end);
    if (!first) return Unexpected{first.error()};
    item.kind = Item::Kind::value;
    item.first = *first;
    item.last = *first;
    if (pos == end) return item;

    const char next = static_cast<char>(std::toupper(static_cast<unsigned char>(text_[pos])));
    if (next == 'W') {
      if (info_.kind != FieldKind::day_of_month) {
        return fail(pos, 1, "'W' (nearest weekday) is only allowed in day-of-month",
                    "e.g. '15W' in day-of-month");
      }
      if (pos + 1 != end) return trailing(pos + 1, end);
      item.kind = Item::Kind::nearest_weekday;
      return item;
    }
    if (next == 'L') {
      if (info_.kind != FieldKind::day_of_week) {
        return fail(
            pos, 1,
            info_.kind == FieldKind::day_of_month
                ? "'L' in day-of-month stands alone (last day of the month)"
                : "'L' is only allowed in day-of-month and day-of-week",
            info_.kind == FieldKind::day_of_month ? "write 'L', or 'LW' for the last weekday" : "");
      }
      if (pos + 1 != end) return trailing(pos + 1, end);
      item.kind = Item::Kind::last_of_weekday;
      item.first %= 7;
      return item;
    }
    if (next == '#') {
      if (info_.kind != FieldKind::day_of_week) {
        return fail(pos, 1, "'#' (n-th weekday) is only allowed in day-of-week",
                    "e.g. '1#2' is the second Monday");
      }
      std::size_t n_pos = pos + 1;
      const std::size_t n_begin = n_pos;
      while (n_pos < end && std::isdigit(static_cast<unsigned char>(text_[n_pos]))) ++n_pos;
      if (n_pos == n_begin) {
        return fail(pos, 1, "'#' needs an occurrence 1-5 after it",
                    "e.g. '1#2' is the second Monday");
      }
      const std::string_view digits = text_.substr(n_begin, n_pos - n_begin);
      int n = 0;
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (digits.size() > 1 || n < 1 || n > 5) {
        return fail(n_begin, digits.size(),
                    fmt::format("occurrence {} is out of range 1-5", digits),
                    "a month has at most five of each weekday");
      }
      if (n_pos != end) return trailing(n_pos, end);
      item.kind = Item::Kind::nth_weekday;
      item.first %= 7;
      item.last = n;
      return item;
    }
    if (next == '-') {
      const std::size_t end_begin = ++pos;
      auto last = parse_value(pos, end);
      if (!last) return Unexpected{last.error()};
      int last_value = *last;
      // "FRI-SUN": a range that ends on Sunday by name means through Sunday (7), not back to 0.
      if (info_.kind == FieldKind::day_of_week && last_value == 0 &&
          std::isalpha(static_cast<unsigned char>(text_[end_begin]))) {
        last_value = 7;
      }
      if (last_value < item.first) {
        return fail(start, pos - start,
                    fmt::format("reversed range {}: the start is after the end",
                                text_.substr(start, pos - start)),
                    fmt::format("cron ranges do not wrap around; split it, e.g. '{}-{},{}-{}'",
                                item.first, info_.kind == FieldKind::day_of_week ? 6 : info_.max,
                                info_.min, last_value));
      }
      item.kind = Item::Kind::range;
      item.last = last_value;
    }
    if (pos == end) return item;
    if (text_[pos] == '/') {
      ++pos;
      auto step = parse_step(pos, end);
      if (!step) return Unexpected{step.error()};
      item.step = *step;
      if (item.kind == Item::Kind::value) {  // "a/n": from a through the field's maximum
        item.kind = Item::Kind::range;
        item.last = info_.max;
      }
      if (pos != end) return trailing(pos, end);
      return item;
    }
    return trailing(pos, end);
  }

  Unexpected<ParseError> trailing(std::size_t pos, std::size_t end) const {
    return fail(pos, end - pos, fmt::format("unexpected '{}'", text_.substr(pos, end - pos)),
                range_hint());
  }

  const FieldInfo& info_;
  std::string_view text_;
  std::size_t offset_;
};

struct Token {
  std::string_view text;
  std::size_t offset;
};

std::vector<Token> split_fields(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos == text.size()) break;
    const std::size_t begin = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t') ++pos;
    tokens.push_back({text.substr(begin, pos - begin), begin});
  }
  return tokens;
}

Expected<Syntax, ParseError> parse_macro(std::string_view text, const Token& token) {
  const std::string lower = [&] {
    std::string s(token.text);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  auto error = [&](std::string message, std::string hint) {
    return Unexpected{ParseError{token.offset + 1, token.text.size(), "expression",
                                 std::move(message), std::move(hint)}};
  };
  if (lower == "@reboot") {
    return error("'@reboot' is not a schedule: maintd runs tasks at times, not at boot",
                 "pick a time, e.g. '@daily', or trigger the task with 'maintd run'");
  }
  for (const auto& macro : kMacros) {
    if (macro.name != lower) continue;
    auto syntax = parse_syntax(macro.expansion);
    if (!syntax) return syntax;  // cannot happen: the expansions are valid
    syntax->text = text;
    syntax->macro = std::string(macro.name);
    // Point every field and item at the macro token, so later errors and explanations refer to
    // what the person wrote rather than to the expansion.
    for (auto& field : syntax->fields) {
      field.column = token.offset + 1;
      for (auto& item : field.items) {
        item.column = token.offset + 1;
        item.length = token.text.size();
      }
    }
    return syntax;
  }
  std::vector<std::string> names;
  for (const auto& macro : kMacros) names.emplace_back(macro.name);
  names.emplace_back("@reboot");
  const auto close = closest_matches(lower, names, 1);
  return error(fmt::format("unknown macro '{}'", token.text),
               close.empty() || close.front() == "@reboot"
                   ? "macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
                   : fmt::format("did you mean '{}'?", close.front()));
}

}  // namespace

const FieldInfo& field_info(FieldKind kind) {
  return kFields[static_cast<std::size_t>(kind)];
}

Expected<Syntax, ParseError> parse_syntax(std::string_view text) {
  const std::vector<Token> tokens = split_fields(text);
  if (tokens.empty()) {
    return Unexpected{ParseError{1, std::max<std::size_t>(text.size(), 1), "expression",
                                 "the expression is empty", std::string(kFiveFieldHint)}};
  }
  if (tokens.front().text.front() == '@') {
    if (tokens.size() > 1) {
      const Token& extra = tokens[1];
      return Unexpected{ParseError{extra.offset + 1, text.size() - extra.offset, "expression",
                                   fmt::format("unexpected '{}' after the macro {}",
                                               text.substr(extra.offset), tokens.front().text),
                                   "a macro stands alone"}};
    }
    return parse_macro(text, tokens.front());
  }
  if (tokens.size() != 5 && tokens.size() != 6) {
    const std::size_t begin = tokens.front().offset;
    const std::size_t end = tokens.back().offset + tokens.back().text.size();
    return Unexpected{ParseError{begin + 1, end - begin, "expression",
                                 fmt::format("expected 5 or 6 fields, got {}", tokens.size()),
                                 std::string(kFiveFieldHint)}};
  }

  Syntax syntax;
  syntax.text = text;
  syntax.has_seconds = tokens.size() == 6;
  std::size_t next_token = 0;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    const auto kind = static_cast<FieldKind>(f);
    if (kind == FieldKind::second && !syntax.has_seconds) {
      // Five fields: the slot is at second 0 of each matching minute.
      Field seconds;
      seconds.kind = kind;
      seconds.text = "0";
      seconds.items.push_back(Item{Item::Kind::value, 0, 0, 0, false, 1, 0});
      syntax.fields[f] = seconds;
      continue;
    }
    const Token& token = tokens[next_token++];
    auto field = FieldParser(kind, token.text, token.offset).parse();
    if (!field) return Unexpected{field.error()};
    syntax.fields[f] = std::move(*field);
  }
  return syntax;
}

}  // namespace maintd::cron
