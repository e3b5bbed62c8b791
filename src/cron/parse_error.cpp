#include "cron/parse_error.hpp"

#include <fmt/format.h>

namespace maintd::cron {

std::string ParseError::to_string() const {
  std::string out = fmt::format("column {}: {}: {}", column, field, message);
  if (!hint.empty()) out += fmt::format(" (hint: {})", hint);
  return out;
}

std::string ParseError::underline(std::string_view expression) const {
  const std::size_t start = column > 0 ? column - 1 : 0;
  return fmt::format("  {}\n  {}{}", expression, std::string(start, ' '),
                     std::string(std::max<std::size_t>(length, 1), '^'));
}

}  // namespace maintd::cron
