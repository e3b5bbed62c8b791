// A database error's reason without the statement's data (see database_error_text.hpp).
#include "registry/database_error_text.hpp"

#include <soci/error.h>

#include <sstream>
#include <string_view>

namespace maintd::registry {
namespace {

constexpr const char* kRedacted = "<bound value>";

bool is_statement_pointer(const std::string& line) {
  // PostgreSQL quotes the statement and points into it: "LINE 1: INSERT ...", "   ^".
  return line.starts_with("LINE ") || line.find_first_not_of("^ ") == std::string::npos;
}

void redact(std::string& text, const std::string& value) {
  if (value.size() < kRedactedLength) return;
  for (auto at = text.find(value); at != std::string::npos;
       at = text.find(value, at + std::string_view(kRedacted).size())) {
    text.replace(at, value.size(), kRedacted);
  }
}

}  // namespace

std::string database_error_text(const std::exception& e, const std::vector<std::string>& bound) {
  const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e);
  // get_error_message(): the backend's reason without what SOCI appended (the statement and
  // its values).
  std::istringstream lines(soci_error != nullptr ? soci_error->get_error_message() : e.what());
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (is_statement_pointer(line) || line.starts_with("DETAIL:")) continue;
    // SOCI's SQLite backend names its own function: "sqlite3_statement_backend::prepare: ".
    if (line.starts_with("sqlite3_")) {
      const auto colon = line.find(": ");
      if (colon != std::string::npos && line.find("::") < colon) line.erase(0, colon + 2);
    }
    if (!out.empty()) out += ' ';
    for (char c : line) {  // one line, single spaces ("ERROR:  x" -> "ERROR: x")
      if (c == '\t') c = ' ';
      if (c == ' ' && !out.empty() && out.back() == ' ') continue;
      out += c;
    }
  }
  for (const auto& value : bound) redact(out, value);
  return out;
}

}  // namespace maintd::registry
