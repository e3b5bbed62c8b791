#pragma once
#include <cstddef>
#include <string>

namespace maintd::cron {

// Why an expression was rejected, and where. Columns are 1-based offsets into the expression text
// so that a caller who knows where the expression sits in a file (config loading) can turn them
// into file:line:col by adding its own position.
struct ParseError {
  std::size_t column = 1;  // first character of the offending token
  std::size_t length = 1;  // how many characters to underline
  std::string field;       // "minute", "day-of-week", ... or "expression"
  std::string message;     // the reason: "value 61 is out of range 0-59"
  std::string hint;        // what to write instead; may be empty

  // "column 1: minute: value 61 is out of range 0-59 (hint: ...)"
  std::string to_string() const;
  // The expression with a caret line under the offending token, for terminals.
  std::string underline(std::string_view expression) const;
};

}  // namespace maintd::cron
