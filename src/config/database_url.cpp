#include "config/database_url.hpp"

#include <fmt/format.h>

#include <regex>

namespace maintd::config {
namespace {

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string mask_secrets(std::string_view text) {
  static const std::regex kUserInfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]*@)");
  static const std::regex kPasswordParameter(R"((password\s*=\s*)('[^']*'|[^&\s]*))",
                                             std::regex::icase);
  std::string out = std::regex_replace(std::string(text), kUserInfo, "$1***@");
  return std::regex_replace(out, kPasswordParameter, "$1***");
}

Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Unexpected{
        fmt::format("'{}' is not a database URL (use sqlite3://PATH or postgresql://USER@HOST/DB)",
                    mask_secrets(url))};
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  const std::string_view rest = url.substr(scheme_end + 3);
  DatabaseUrl out;
  if (scheme == "sqlite3" || scheme == "sqlite") {
    if (rest.empty()) return Unexpected{std::string("sqlite3:// needs a file path")};
    if (password) {
      return Unexpected{std::string("a SQLite database takes no password")};
    }
    std::filesystem::path path(rest);
    if (path.is_relative()) path = base_dir / path;
    path = path.lexically_normal();
    out.backend = DatabaseUrl::Backend::sqlite3;
    out.connect = "db=" + path.string();
    out.display = "sqlite3://" + path.string();
    return out;
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    out.backend = DatabaseUrl::Backend::postgresql;
    out.connect = std::string(url);
    if (password) {
      out.connect += (url.find('?') == std::string_view::npos ? "?" : "&");
      out.connect += "password=" + percent_encode(*password);
    }
    out.display = mask_secrets(out.connect);
    return out;
  }
  return Unexpected{fmt::format(
      "unsupported database scheme '{}' (maintd speaks sqlite3:// and postgresql://)", scheme)};
}

}  // namespace maintd::config
