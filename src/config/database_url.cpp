#include "config/database_url.hpp"

#include <fmt/format.h>

#include "config/limits.hpp"
#include "config/pg_conninfo.hpp"
#include "config/pg_uri.hpp"
#include "config/soci_connect.hpp"

namespace maintd::config {
namespace {

// Both maskings below scan the text once, forwards (no regular expression: libstdc++ matches
// those recursively, and a value of some 60,000 characters overflowed the stack). Each does
// what a regular expression replaced, and tests/config/test_limits.cpp holds them to it.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_scheme_char(char c) {
  return is_letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
}

// `scheme://user:SECRET@` becomes `scheme://user:***@`: the regular expression
// ([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]*@, replaced by $1***@, for every match.
std::string mask_user_info(std::string_view text) {
  std::string out;
  std::size_t copied = 0;  // text[0, copied) is in `out`
  std::size_t start = 0;   // where the next match may begin: after the previous one
  // The first '@' or whitespace at or after `stop_from` is at `stop` (text.size(): none). The
  // secrets looked at only move forward, so each character is scanned for it once.
  std::size_t stop_from = 0;
  std::size_t stop = 0;
  for (std::size_t sep = text.find("://"); sep != std::string_view::npos;
       sep = text.find("://", sep + 1)) {
    // The scheme: from the first letter of the scheme characters just before "://".
    std::size_t begin = sep;
    while (begin > start && is_scheme_char(text[begin - 1])) --begin;
    while (begin < sep && !is_letter(text[begin])) ++begin;
    if (begin == sep) continue;
    // The user, up to ':' (a '/' or '@' first: no password).
    std::size_t colon = sep + 3;
    while (colon < text.size() && text[colon] != ':' && text[colon] != '/' && text[colon] != '@' &&
           !is_space(text[colon])) {
      ++colon;
    }
    if (colon == text.size() || text[colon] != ':') continue;
    // The secret, up to '@' (whitespace first: no password).
    const std::size_t secret = colon + 1;
    if (secret < stop_from || secret > stop) {
      stop_from = secret;
      stop = secret;
      while (stop < text.size() && text[stop] != '@' && !is_space(text[stop])) ++stop;
    }
    if (stop == text.size() || text[stop] != '@') continue;
    out.append(text.substr(copied, secret - copied));
    out += "***@";
    copied = start = stop + 1;
    sep = stop;  // the next "://" after the '@'
  }
  out.append(text.substr(copied));
  return out;
}

// Where "password" is, case-insensitively, at or after `from`.
std::size_t find_password(std::string_view text, std::size_t from) {
  static constexpr std::string_view kWord = "password";
  for (std::size_t at = from; at + kWord.size() <= text.size(); ++at) {
    std::size_t i = 0;
    while (i < kWord.size() && (text[at + i] | 0x20) == kWord[i]) ++i;
    if (i == kWord.size()) return at;
  }
  return std::string_view::npos;
}

// `password = SECRET` (also sslpassword, in any case) becomes `password = ***`. A value is
// single-quoted with backslash escapes (to its end if the quote is not closed), or unquoted up to
// whitespace or '&' (a URI's next parameter), a backslash escaping the next character: the
// regular expression (password\s*=\s*)('(?:[^'\\]|\\[\s\S])*'?|(?:[^&\s\\]|\\[\s\S])*\\?),
// case-insensitive, replaced by $1***. Over-masking is harmless; a secret's tail left visible is
// not.
std::string mask_password_parameters(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  std::size_t from = 0;
  for (std::size_t at = find_password(text, from); at != std::string_view::npos;
       at = find_password(text, from)) {
    std::size_t i = at + 8;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size() || text[i] != '=') {
      from = at + 1;
      continue;
    }
    ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t value = i;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '\'') {
          ++i;
          break;
        }
        if (text[i] == '\\') {
          if (i + 1 == text.size()) break;  // a lone backslash at the end is not part of it
          i += 2;
          continue;
        }
        ++i;
      }
    } else {
      while (i < text.size() && text[i] != '&' && !is_space(text[i])) {
        i += text[i] == '\\' && i + 1 < text.size() ? 2 : 1;
      }
    }
    out.append(text.substr(copied, value - copied));
    out += "***";
    copied = from = i;
  }
  out.append(text.substr(copied));
  return out;
}

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
  return mask_password_parameters(mask_user_info(text));
}

Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir,
                                                      bool from_file) {
  if (url.size() > kMaxDatabaseUrlBytes) {
    return Unexpected{over_limit("the URL", url.size(), kMaxDatabaseUrlBytes, "database URLs") +
                      ": shorten it (give a long password with password_file)"};
  }
  if (is_pg_uri(url) || is_pg_keyword_value(url)) return postgresql_url(url, password);
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Unexpected{
        fmt::format("{} is not a database URL (use sqlite3://PATH, postgresql://USER@HOST/DB "
                    "or host=HOST dbname=DB)",
                    from_file ? fmt::format("the file's content ({} bytes)", url.size())
                              : fmt::format("'{}'", mask_secrets(url)))};
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
  if (from_file) {
    return Unexpected{std::string(
        "the file's content has an unsupported database scheme (maintd speaks sqlite3:// and "
        "postgresql://)")};
  }
  return Unexpected{fmt::format(
      "unsupported database scheme '{}' (maintd speaks sqlite3:// and postgresql://)", scheme)};
}

}  // namespace maintd::config
