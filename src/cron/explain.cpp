// Plain-English descriptions, built from the syntax tree so that "*/5" reads as "every 5
// minutes" rather than as the twelve values it expands to.
#include "cron/explain.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace maintd::cron {
namespace {

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr std::array<const char*, 8> kWeekdays = {"Sunday",   "Monday", "Tuesday",  "Wednesday",
                                                  "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<const char*, 5> kOrdinals = {"first", "second", "third", "fourth", "fifth"};

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

bool is_plain_star(const Field& field) {
  return field.items.size() == 1 && field.items[0].kind == Item::Kind::any &&
         field.items[0].step == 0;
}

bool is_single_value(const Field& field) {
  return field.items.size() == 1 && field.items[0].kind == Item::Kind::value &&
         field.items[0].step == 0;
}

bool all_plain_values(const Field& field) {
  for (const Item& item : field.items) {
    if (item.kind != Item::Kind::value || item.step != 0) return false;
  }
  return true;
}

// How one value of a field is named: "5", "09", "January", "Monday".
std::string value_name(FieldKind kind, int value) {
  switch (kind) {
    case FieldKind::month:
      return kMonths[static_cast<std::size_t>(value - 1)];
    case FieldKind::day_of_week:
      return kWeekdays[static_cast<std::size_t>(value)];
    case FieldKind::hour:
      return fmt::format("{:02}", value);
    default:
      return std::to_string(value);
  }
}

const char* unit_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::second:
      return "second";
    case FieldKind::minute:
      return "minute";
    case FieldKind::hour:
      return "hour";
    case FieldKind::day_of_month:
      return "day";
    case FieldKind::month:
      return "month";
    case FieldKind::day_of_week:
      return "day of the week";
  }
  return "";
}

// One list item, as a phrase: "5", "10 through 20", "every 5 minutes from 10 through 40".
std::string item_phrase(FieldKind kind, const Item& item) {
  const std::string unit = unit_name(kind);
  switch (item.kind) {
    case Item::Kind::any:
      return item.step == 0 ? "every " + unit : fmt::format("every {} {}s", item.step, unit);
    case Item::Kind::value:
      return value_name(kind, item.first);
    case Item::Kind::range:
      if (item.step == 0) {
        return fmt::format("{} through {}", value_name(kind, item.first),
                           value_name(kind, item.last));
      }
      return fmt::format("every {} {}s from {} through {}", item.step, unit,
                         value_name(kind, item.first), value_name(kind, item.last));
    case Item::Kind::last_day:
      return "the last day";
    case Item::Kind::last_weekday:
      return "the last weekday";
    case Item::Kind::nearest_weekday:
      return fmt::format("the weekday nearest day {}", item.first);
    case Item::Kind::last_of_weekday:
      return fmt::format("the last {} of the month", value_name(kind, item.first));
    case Item::Kind::nth_weekday:
      return fmt::format("the {} {} of the month",
                         kOrdinals[static_cast<std::size_t>(item.last - 1)],
                         value_name(kind, item.first));
  }
  return "";
}

std::vector<std::string> item_phrases(const Field& field) {
  std::vector<std::string> phrases;
  for (const Item& item : field.items) phrases.push_back(item_phrase(field.kind, item));
  return phrases;
}

// Seconds and minutes: "every minute", "every 5 minutes", "at minute 30", "at minutes 0 and 30".
std::string units_phrase(const Field& field) {
  const std::string unit = unit_name(field.kind);
  if (field.items.size() == 1 && field.items[0].kind == Item::Kind::range &&
      field.items[0].step == 0) {
    return fmt::format("every {} from {} through {}", unit, field.items[0].first,
                       field.items[0].last);
  }
  if (field.items.size() == 1 && field.items[0].kind != Item::Kind::value) {
    return item_phrase(field.kind, field.items[0]);
  }
  const bool plural = field.items.size() > 1;
  return fmt::format("at {}{} {}", unit, plural ? "s" : "", join(item_phrases(field)));
}

std::string hours_phrase(const Field& hours) {
  if (is_plain_star(hours)) return "";
  if (hours.items.size() == 1) {
    const Item& item = hours.items[0];
    if (item.kind == Item::Kind::value)
      return fmt::format("between {:02}:00 and {:02}:59", item.first, item.first);
    if (item.kind == Item::Kind::range && item.step == 0) {
      return fmt::format("between {:02}:00 and {:02}:59", item.first, item.last);
    }
    return item_phrase(hours.kind, item);
  }
  return fmt::format("during hours {}", join(item_phrases(hours)));
}

std::string time_phrase(const Syntax& syntax) {
  const Field& seconds = syntax.field(FieldKind::second);
  const Field& minutes = syntax.field(FieldKind::minute);
  const Field& hours = syntax.field(FieldKind::hour);

  // "At 02:30" and "At 09:00, 12:00 and 18:00": fixed minute (and second) at one or more hours.
  if (is_single_value(minutes) && is_single_value(seconds) && all_plain_values(hours) &&
      hours.items.size() <= 6) {
    std::vector<std::string> times;
    for (const Item& hour : hours.items) {
      times.push_back(syntax.has_seconds
                          ? fmt::format("{:02}:{:02}:{:02}", hour.first, minutes.items[0].first,
                                        seconds.items[0].first)
                          : fmt::format("{:02}:{:02}", hour.first, minutes.items[0].first));
    }
    return "at " + join(times);
  }
  std::vector<std::string> parts;
  if (syntax.has_seconds) parts.push_back(units_phrase(seconds));
  const bool every_minute = is_plain_star(minutes);
  // "Every 10 seconds" already says it runs every minute.
  if (!(every_minute && syntax.has_seconds && !is_single_value(seconds))) {
    parts.push_back(units_phrase(minutes));
  }
  if (auto h = hours_phrase(hours); !h.empty()) parts.push_back(h);
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

std::string day_of_month_phrase(const Field& field) {
  if (field.items.size() == 1 && field.items[0].kind == Item::Kind::any) {
    return item_phrase(field.kind, field.items[0]);  // "every 2 days"
  }
  if (all_plain_values(field)) {
    return fmt::format("on day{} {} of the month", field.items.size() > 1 ? "s" : "",
                       join(item_phrases(field)));
  }
  return fmt::format("on {} of the month", join(item_phrases(field)));
}

std::string day_of_week_phrase(const Field& field) {
  if (field.items.size() == 1 && field.items[0].kind == Item::Kind::range &&
      field.items[0].step == 0) {
    return item_phrase(field.kind, field.items[0]);  // "Monday through Friday"
  }
  if (all_plain_values(field)) return "only on " + join(item_phrases(field));
  return "on " + join(item_phrases(field));
}

std::string month_phrase(const Field& field) {
  if (field.items.size() == 1 && field.items[0].kind == Item::Kind::range &&
      field.items[0].step == 0) {
    return item_phrase(field.kind, field.items[0]);  // "January through March"
  }
  if (all_plain_values(field)) return "only in " + join(item_phrases(field));
  return join(item_phrases(field));
}

}  // namespace

std::string explain(const Syntax& syntax) {
  std::vector<std::string> parts{time_phrase(syntax)};

  const Field& dom = syntax.field(FieldKind::day_of_month);
  const Field& dow = syntax.field(FieldKind::day_of_week);
  const bool dom_any = is_plain_star(dom) || dom.items[0].question_mark;
  const bool dow_any = is_plain_star(dow) || dow.items[0].question_mark;
  if (!dom_any && !dow_any && !dom.starts_with_star && !dow.starts_with_star) {
    // Vixie cron: with both day fields restricted, either one matching is enough. Say so.
    parts.push_back(day_of_month_phrase(dom) + " or " + day_of_week_phrase(dow));
  } else {
    if (!dom_any) parts.push_back(day_of_month_phrase(dom));
    if (!dow_any) parts.push_back(day_of_week_phrase(dow));
  }
  const Field& months = syntax.field(FieldKind::month);
  if (!is_plain_star(months)) parts.push_back(month_phrase(months));

  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace maintd::cron
