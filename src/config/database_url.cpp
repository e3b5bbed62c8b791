#include "config/database_url.hpp"

#include <fmt/format.h>

#include <regex>

#include "config/pg_conninfo.hpp"
#include "config/pg_uri.hpp"
#include "config/soci_connect.hpp"

namespace maintd::config {
namespace {

Expected<DatabaseUrl, std::string> postgresql_url(std::string_view url,
                                                  const std::optional<std::string>& password) {
  auto location = is_pg_uri(url) ? parse_pg_uri(url) : parse_pg_keyword_value(url);
  if (!location) return Unexpected{location.error()};
  if (password) {
    // Two passwords would leave the reader guessing which one libpq uses.
    if (location->parameters.find("password") != nullptr) {
      return Unexpected{std::string(
          "the URL holds a password and 'password' (or 'password_file') gives one too: give it "
          "in one place")};
    }
    location->parameters.set("password", *password);
    if (!location->is_uri) {
      location->display = to_conninfo(location->parameters, true);
    } else if (location->display.ends_with('?') || location->display.ends_with('&')) {
      location->display += "password=***";
    } else {
      location->display += location->has_query ? "&password=***" : "?password=***";
    }
  }
  auto connect = soci_postgresql_connect(location->parameters);
  if (!connect) return Unexpected{connect.error()};
  DatabaseUrl out;
  out.backend = DatabaseUrl::Backend::postgresql;
  out.connect = std::move(connect.value());
  out.display = std::move(location->display);
  return out;
}

}  // namespace

std::string mask_secrets(std::string_view text) {
  static const std::regex kUserInfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]*@)");
  // A value: single-quoted with backslash escapes (to its end if the quote is not closed), or
  // unquoted up to whitespace or '&' (a URI's next parameter), a backslash escaping the next
  // character. Over-masking is harmless; a secret's tail left visible is not.
  static const std::regex kPasswordParameter(
      R"((password\s*=\s*)('(?:[^'\\]|\\[\s\S])*'?|(?:[^&\s\\]|\\[\s\S])*\\?))", std::regex::icase);
  std::string out = std::regex_replace(std::string(text), kUserInfo, "$1***@");
  return std::regex_replace(out, kPasswordParameter, "$1***");
}

Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir) {
  if (is_pg_uri(url) || is_pg_keyword_value(url)) return postgresql_url(url, password);
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Unexpected{
        fmt::format("'{}' is not a database URL (use sqlite3://PATH, postgresql://USER@HOST/DB "
                    "or host=HOST dbname=DB)",
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
  return Unexpected{fmt::format(
      "unsupported database scheme '{}' (maintd speaks sqlite3:// and postgresql://)", scheme)};
}

}  // namespace maintd::config
