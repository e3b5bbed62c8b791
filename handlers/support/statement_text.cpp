#include "handlers/support/statement_text.hpp"

#include <algorithm>
#include <cctype>

namespace maintd::handlers {

bool parameter_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool parameter_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string without_comments(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'') {
      const auto end = sql.find('\'', i + 1);
      const auto stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end;
      out += ' ';
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
      out += ' ';
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

ParameterScan scan_parameters(std::string_view sql) {
  ParameterScan scan;
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'') {
      const auto end = sql.find('\'', i + 1);
      i = end == std::string_view::npos ? sql.size() : end + 1;
      continue;
    }
    if (c != ':') {
      ++i;
      continue;
    }
    if (i + 1 < sql.size() && (sql[i + 1] == ':' || sql[i + 1] == '=')) {
      i += 2;
      continue;
    }
    if (i + 1 < sql.size() && parameter_name_start(sql[i + 1])) {
      std::size_t end = i + 1;
      while (end < sql.size() && parameter_name_char(sql[end])) ++end;
      std::string name(sql.substr(i + 1, end - i - 1));
      if (std::find(scan.names.begin(), scan.names.end(), name) == scan.names.end()) {
        scan.names.push_back(std::move(name));
      }
      i = end;
      continue;
    }
    scan.bare_colon = true;
    ++i;
  }
  return scan;
}

std::string statement_summary(std::string_view sql) {
  std::string out;
  for (const char c : sql) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  constexpr std::size_t kMax = 60;
  if (out.size() > kMax) out = out.substr(0, kMax) + "...";
  return out;
}

}  // namespace maintd::handlers
