// Compiling the syntax tree into bit sets, and the wall-clock searches over them.
#include "cron/expression.hpp"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <map>
#include <string>
#include <vector>

namespace maintd::cron {
namespace {

constexpr int kMonthsIn400Years = 400 * 12;
// Each loop step of a search either returns or moves to another month (at most one extra step
// inside a month, when the current day has no time left). See first_at_or_after() for the bound.
constexpr int kMaxSearchSteps = 2 * (kMonthsIn400Years + 13);

constexpr std::array<const char*, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

constexpr bool is_leap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(std::int64_t year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// 0 = Sunday, as cron counts.
int weekday_of(const cctz::civil_day& day) {
  return (static_cast<int>(cctz::get_weekday(day)) + 1) % 7;  // cctz counts from Monday
}

constexpr std::uint32_t valid_days(int length) {
  return static_cast<std::uint32_t>((std::uint64_t{1} << (length + 1)) - 2);  // bits 1..length
}

// Lowest set bit at or above `from`, or -1.
int next_bit(std::uint64_t mask, int from) {
  if (from >= 64) return -1;
  const std::uint64_t rest = mask & (~std::uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// Highest set bit at or below `from`, or -1.
int previous_bit(std::uint64_t mask, int from) {
  if (from < 0) return -1;
  const std::uint64_t rest = from >= 63 ? mask : mask & ((std::uint64_t{2} << from) - 1);
  return rest == 0 ? -1 : 63 - std::countl_zero(rest);
}

int lowest_bit(std::uint64_t mask) {
  return std::countr_zero(mask);
}
int highest_bit(std::uint64_t mask) {
  return 63 - std::countl_zero(mask);
}

std::string join_english(const std::vector<std::string>& words, const char* last = " and ") {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? last : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace

Expected<Expression, ParseError> Expression::parse(std::string_view text) {
  auto syntax = parse_syntax(text);
  if (!syntax) return Unexpected{syntax.error()};
  return compile(*syntax);
}

Expected<Expression, ParseError> Expression::compile(const Syntax& syntax) {
  Expression e;
  std::uint8_t weekdays = 0;
  std::array<std::uint8_t, 7> nth_by_weekday = {};  // bit n-1: the n-th occurrence

  for (const Field& field : syntax.fields) {
    for (const Item& item : field.items) {
      switch (item.kind) {
        case Item::Kind::any:
        case Item::Kind::value:
        case Item::Kind::range: {
          const int step = item.step > 0 ? item.step : 1;
          for (int v = item.first; v <= item.last; v += step) {
            switch (field.kind) {
              case FieldKind::second:
                e.seconds_ |= std::uint64_t{1} << v;
                break;
              case FieldKind::minute:
                e.minutes_ |= std::uint64_t{1} << v;
                break;
              case FieldKind::hour:
                e.hours_ |= std::uint32_t{1} << v;
                break;
              case FieldKind::day_of_month:
                e.days_of_month_ |= std::uint32_t{1} << v;
                break;
              case FieldKind::month:
                e.months_ |= static_cast<std::uint16_t>(1u << v);
                break;
              case FieldKind::day_of_week:
                weekdays |= static_cast<std::uint8_t>(1u << (v % 7));  // 7 is Sunday too
                break;
            }
          }
          break;
        }
        case Item::Kind::last_day:
          e.flags_ |= kLastDay;
          break;
        case Item::Kind::last_weekday:
          e.flags_ |= kLastWeekdayOfMonth;
          break;
        case Item::Kind::nearest_weekday:
          e.nearest_weekday_ |= std::uint32_t{1} << item.first;
          break;
        case Item::Kind::last_of_weekday:
          e.last_of_weekday_ |= static_cast<std::uint8_t>(1u << item.first);
          break;
        case Item::Kind::nth_weekday:
          nth_by_weekday[static_cast<std::size_t>(item.first)] |=
              static_cast<std::uint8_t>(1u << (item.last - 1));
          break;
      }
    }
  }
  if (syntax.field(FieldKind::day_of_month).starts_with_star) e.flags_ |= kDayOfMonthStar;
  if (syntax.field(FieldKind::day_of_week).starts_with_star) e.flags_ |= kDayOfWeekStar;
  if (syntax.field(FieldKind::minute).starts_with_star ||
      syntax.field(FieldKind::hour).starts_with_star) {
    e.flags_ |= kWildcardTime;
  }
  if (syntax.has_seconds) e.flags_ |= kHasSeconds;

  // Weekday values and d#n depend only on the weekday of the 1st: precompute all seven.
  for (int first = 0; first < 7; ++first) {
    std::uint64_t days = 0;
    for (int w = 0; w < 7; ++w) {
      const int first_w = 1 + (w - first + 7) % 7;  // day of month of the first weekday w
      if ((weekdays >> w) & 1) {
        constexpr std::uint64_t kEveryWeek = 1 | 1 << 7 | 1 << 14 | 1 << 21 | 1 << 28;
        days |= kEveryWeek << first_w;
      }
      for (int n = 1; n <= 5; ++n) {
        if ((nth_by_weekday[static_cast<std::size_t>(w)] >> (n - 1)) & 1) {
          days |= std::uint64_t{1} << (first_w + 7 * (n - 1));
        }
      }
    }
    e.weekdays_by_first_[first] = static_cast<std::uint32_t>(days) & valid_days(31);
  }

  // Refuse expressions that can never fire. Day matching depends only on (month, its length,
  // weekday of the 1st), and every such combination occurs in the Gregorian calendar (February
  // has 28 or 29 days), so trying them all decides it.
  bool fires = false;
  int longest_selected_month = 0;
  std::vector<std::string> selected_months;
  std::map<int, std::vector<std::string>> months_by_length;  // February counts as 29
  for (int month = 1; month <= 12; ++month) {
    if (!((e.months_ >> month) & 1)) continue;
    const char* month_name = kMonthNames[static_cast<std::size_t>(month - 1)];
    selected_months.emplace_back(month_name);
    const int longest = month == 2 ? 29 : days_in_month(2001, month);
    months_by_length[longest].emplace_back(month_name);
    longest_selected_month = std::max(longest_selected_month, longest);
    for (int length = month == 2 ? 28 : longest; length <= longest && !fires; ++length) {
      for (int first = 0; first < 7 && !fires; ++first) fires = e.day_set(length, first) != 0;
    }
  }
  if (!fires) {
    const Field& dom = syntax.field(FieldKind::day_of_month);
    const Field& dow = syntax.field(FieldKind::day_of_week);
    const std::uint32_t numbered_days = e.days_of_month_ | e.nearest_weekday_;
    const bool only_numbered_days = (e.flags_ & (kLastDay | kLastWeekdayOfMonth)) == 0;
    if (dow.starts_with_star && !dom.starts_with_star && only_numbered_days && numbered_days != 0 &&
        lowest_bit(numbered_days) > longest_selected_month) {
      // "day 31 never occurs in February (at most 29 days) or April (30 days)"
      std::vector<std::string> groups;
      for (const auto& [length, names] : months_by_length) {
        groups.push_back(
            fmt::format("{} ({})", join_english(names, " or "),
                        length == 29 ? "at most 29 days" : fmt::format("{} days", length)));
      }
      const bool single_day = dom.items.size() == 1 && dom.items[0].kind == Item::Kind::value;
      const std::string days = single_day ? fmt::format("day {} never occurs", dom.text)
                                          : fmt::format("days {} never occur", dom.text);
      return Unexpected{
          ParseError{dom.column, dom.text.size(), "day-of-month",
                     fmt::format("never fires: {} in {}", days, join_english(groups, " or ")),
                     "check the day and the month fields"}};
    }
    return Unexpected{ParseError{
        dom.column, syntax.text.size() - (dom.column - 1), "expression",
        fmt::format("never fires: no day in {} matches day-of-month '{}' together with "
                    "day-of-week '{}'",
                    selected_months.size() == 12 ? "any month" : join_english(selected_months),
                    dom.text, dow.text),
        "a day field that starts with '*' makes both day fields apply at once (Vixie cron); "
        "with both restricted, either one matching is enough"}};
  }
  return e;
}

std::uint32_t Expression::day_set(int length, int first_weekday) const {
  const std::uint32_t valid = valid_days(length);
  std::uint32_t by_date = days_of_month_;
  if (flags_ & kLastDay) by_date |= std::uint32_t{1} << length;
  const int last_weekday_of = (first_weekday + length - 1) % 7;  // weekday of the last day
  if (flags_ & kLastWeekdayOfMonth) {
    const int back = last_weekday_of == 6 ? 1 : last_weekday_of == 0 ? 2 : 0;
    by_date |= std::uint32_t{1} << (length - back);
  }
  for (std::uint32_t rest = nearest_weekday_ & valid; rest != 0; rest &= rest - 1) {
    const int day = std::countr_zero(rest);
    const int weekday = (first_weekday + day - 1) % 7;
    int nearest = day;
    if (weekday == 6) nearest = day == 1 ? 3 : day - 1;             // Saturday: Friday, or Monday
    if (weekday == 0) nearest = day == length ? day - 2 : day + 1;  // Sunday: Monday, or Friday
    by_date |= std::uint32_t{1} << nearest;
  }

  std::uint32_t by_weekday = weekdays_by_first_[first_weekday];
  for (std::uint8_t rest = last_of_weekday_; rest != 0;
       rest &= static_cast<std::uint8_t>(rest - 1)) {
    const int weekday = std::countr_zero(rest);
    by_weekday |= std::uint32_t{1} << (length - (last_weekday_of - weekday + 7) % 7);
  }

  by_date &= valid;
  by_weekday &= valid;
  // Vixie cron: if either day field starts with '*', both must match; otherwise either may.
  return (flags_ & (kDayOfMonthStar | kDayOfWeekStar)) ? (by_date & by_weekday)
                                                       : (by_date | by_weekday);
}

std::uint32_t Expression::day_set(cctz::civil_month month) const {
  return day_set(days_in_month(month.year(), month.month()), weekday_of(cctz::civil_day(month)));
}

bool Expression::matches_day(const cctz::civil_day& day) const {
  return ((months_ >> day.month()) & 1) && ((day_set(cctz::civil_month(day)) >> day.day()) & 1);
}

bool Expression::matches(const cctz::civil_second& when) const {
  return matches_day(cctz::civil_day(when)) && ((hours_ >> when.hour()) & 1) &&
         ((minutes_ >> when.minute()) & 1) && ((seconds_ >> when.second()) & 1);
}

std::optional<Expression::TimeOfDay> Expression::time_at_or_after(int hour, int minute,
                                                                  int second) const {
  int h = next_bit(hours_, hour);
  if (h < 0) return std::nullopt;
  if (h == hour) {
    int m = next_bit(minutes_, minute);
    if (m == minute) {
      const int s = next_bit(seconds_, second);
      if (s >= 0) return TimeOfDay{h, m, s};
      m = next_bit(minutes_, minute + 1);
    }
    if (m >= 0) return TimeOfDay{h, m, lowest_bit(seconds_)};
    h = next_bit(hours_, hour + 1);
    if (h < 0) return std::nullopt;
  }
  return TimeOfDay{h, lowest_bit(minutes_), lowest_bit(seconds_)};
}

std::optional<Expression::TimeOfDay> Expression::time_at_or_before(int hour, int minute,
                                                                   int second) const {
  int h = previous_bit(hours_, hour);
  if (h < 0) return std::nullopt;
  if (h == hour) {
    int m = previous_bit(minutes_, minute);
    if (m == minute) {
      const int s = previous_bit(seconds_, second);
      if (s >= 0) return TimeOfDay{h, m, s};
      m = previous_bit(minutes_, minute - 1);
    }
    if (m >= 0) return TimeOfDay{h, m, highest_bit(seconds_)};
    h = previous_bit(hours_, hour - 1);
    if (h < 0) return std::nullopt;
  }
  return TimeOfDay{h, highest_bit(minutes_), highest_bit(seconds_)};
}

// Walks months forward from `from`. Bound: the day pattern of a month depends only on (month,
// length, weekday of the 1st); every combination that occurs at all occurs within any 400
// consecutive years, and parse() refused expressions with no matching combination. So a match
// lies within 4,813 months, and each month costs at most two loop steps (kMaxSearchSteps).
std::optional<cctz::civil_second> Expression::first_at_or_after(cctz::civil_second from) const {
  cctz::civil_month month(from);
  int day = from.day();
  int hour = from.hour(), minute = from.minute(), second = from.second();
  auto start_of_next_month = [&] {
    // Jump straight to the next selected month.
    int m = next_bit(months_, month.month() + 1);
    month = m < 0 ? cctz::civil_month(month.year() + 1, lowest_bit(months_))
                  : cctz::civil_month(month.year(), m);
    day = 1;
    hour = minute = second = 0;
  };
  auto at_start_of = [&](int d) {
    return cctz::civil_second(month.year(), month.month(), d, lowest_bit(hours_),
                              lowest_bit(minutes_), lowest_bit(seconds_));
  };
  for (int step = 0; step < kMaxSearchSteps; ++step) {
    if (!((months_ >> month.month()) & 1)) {
      start_of_next_month();
      continue;
    }
    std::uint32_t days = day_set(month) & ~((std::uint32_t{1} << day) - 1);  // days >= day
    if (days == 0) {
      start_of_next_month();
      continue;
    }
    const int found = std::countr_zero(days);
    if (found > day) return at_start_of(found);
    if (auto time = time_at_or_after(hour, minute, second)) {
      return cctz::civil_second(month.year(), month.month(), day, time->hour, time->minute,
                                time->second);
    }
    days &= days - 1;  // today is used up
    if (days != 0) return at_start_of(std::countr_zero(days));
    start_of_next_month();
  }
  return std::nullopt;
}

// The mirror image of first_at_or_after(), with the same bound.
std::optional<cctz::civil_second> Expression::last_at_or_before(cctz::civil_second from) const {
  cctz::civil_month month(from);
  int day = from.day();
  int hour = from.hour(), minute = from.minute(), second = from.second();
  auto end_of_previous_month = [&] {
    int m = previous_bit(months_, month.month() - 1);
    month = m < 1 ? cctz::civil_month(month.year() - 1, highest_bit(months_))
                  : cctz::civil_month(month.year(), m);
    day = 31;  // day_set() holds only real days, so 31 means "the last one"
    hour = 23;
    minute = second = 59;
  };
  auto at_end_of = [&](int d) {
    return cctz::civil_second(month.year(), month.month(), d, highest_bit(hours_),
                              highest_bit(minutes_), highest_bit(seconds_));
  };
  for (int step = 0; step < kMaxSearchSteps; ++step) {
    if (!((months_ >> month.month()) & 1)) {
      end_of_previous_month();
      continue;
    }
    const std::uint32_t up_to_day =
        day >= 31 ? ~std::uint32_t{0} : (std::uint32_t{2} << day) - 1;  // days <= day
    std::uint32_t days = day_set(month) & up_to_day;
    if (days == 0) {
      end_of_previous_month();
      continue;
    }
    const int found = 31 - std::countl_zero(days);
    if (found < day) return at_end_of(found);
    if (auto time = time_at_or_before(hour, minute, second)) {
      return cctz::civil_second(month.year(), month.month(), day, time->hour, time->minute,
                                time->second);
    }
    days &= ~(std::uint32_t{1} << day);  // today is used up
    if (days != 0) return at_end_of(31 - std::countl_zero(days));
    end_of_previous_month();
  }
  return std::nullopt;
}

}  // namespace maintd::cron
