#include "connection/database_url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "connection/pg_conninfo.hpp"
#include "connection/pg_uri.hpp"
#include "connection/soci_connect.hpp"

namespace maintd::connection {
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
  out.parameters = std::move(location->parameters);
  return out;
}

std::string seconds_value(std::chrono::seconds value) {
  return std::to_string(value.count());
}

// The statement timeout an `options` value sets ("-c statement_timeout=5s",
// "--statement-timeout=5000"), as written. Linear code, not std::regex: options can be long,
// and libstdc++'s regex recurses per character (issue 24, item 1).
std::optional<std::string> statement_timeout_option(const std::string& options) {
  for (const std::string_view name : {"statement_timeout", "statement-timeout"}) {
    for (auto at = options.find(name); at != std::string::npos; at = options.find(name, at + 1)) {
      auto i = at + name.size();
      while (i < options.size() && options[i] == ' ') ++i;
      if (i == options.size() || options[i] != '=') continue;
      ++i;
      while (i < options.size() && options[i] == ' ') ++i;
      const auto end = options.find_first_of(" \t", i);
      return options.substr(i, end == std::string::npos ? std::string::npos : end - i);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_pg_duration(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\'')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\'')) text.remove_suffix(1);
  long long number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end == text.data() || number < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  using std::chrono::milliseconds;
  if (unit.empty() || unit == "ms") return milliseconds(number);
  if (unit == "us") return milliseconds((number + 999) / 1000);
  if (unit == "s") return milliseconds(number * 1000);
  if (unit == "min") return milliseconds(number * 60'000);
  if (unit == "h") return milliseconds(number * 3'600'000);
  if (unit == "d") return milliseconds(number * 86'400'000);
  return std::nullopt;
}

void apply_database_timeouts(DatabaseUrl& url, const DatabaseTimeouts& timeouts,
                             DatabaseRole role) {
  if (url.backend != DatabaseUrl::Backend::postgresql) return;
  PgParameters& parameters = url.parameters;
  const auto set_default = [&](std::string_view keyword, std::string value) {
    if (parameters.find(keyword) == nullptr) parameters.set(keyword, std::move(value));
  };
  set_default("connect_timeout", seconds_value(timeouts.connect));
  // keepalives=0 in the URL turns them off: then none of their settings is added either.
  const std::string* keepalives = parameters.find("keepalives");
  if (keepalives == nullptr || *keepalives != "0") {
    set_default("keepalives", "1");
    set_default("keepalives_idle", seconds_value(timeouts.keepalives_idle));
    set_default("keepalives_interval", seconds_value(timeouts.keepalives_interval));
    set_default("keepalives_count", std::to_string(timeouts.keepalives_count));
  }
  // libpq takes milliseconds here.
  set_default("tcp_user_timeout",
              std::to_string(std::chrono::milliseconds(timeouts.tcp_user_timeout).count()));

  // What libpq will do with connect_timeout: a number of seconds, 0 (or none) waits for ever,
  // 1 is taken as 2.
  url.connect_timeout = std::chrono::seconds(0);
  if (const std::string* written = parameters.find("connect_timeout")) {
    long long value = 0;
    const auto [end, error] =
        std::from_chars(written->data(), written->data() + written->size(), value);
    if (error == std::errc{} && value > 0) {
      url.connect_timeout = std::chrono::seconds(std::max(value, 2LL));
    }
  }
  url.statement_timeout = std::chrono::milliseconds(0);
  url.statement_timeout_in_url = false;
  if (role == DatabaseRole::state) {
    const std::string* options = parameters.find("options");
    const auto written = options != nullptr ? statement_timeout_option(*options) : std::nullopt;
    if (written) {
      url.statement_timeout_in_url = true;
      // A value maintd cannot read (a unit it does not know) is still libpq's to pass on; maintd
      // then bounds its own waits with the configured one.
      url.statement_timeout = parse_pg_duration(*written).value_or(timeouts.statement);
    } else {
      url.statement_timeout = timeouts.statement;
    }
  }
  // Only keywords and plain numbers were added: a string SOCI took before still goes through.
  if (auto connect = soci_postgresql_connect(parameters)) url.connect = std::move(connect.value());
}

std::string mask_secrets(std::string_view text) {
  return mask_password_parameters(mask_user_info(text));
}

Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir,
                                                      bool from_file) {
  if (url.size() > kMaxDatabaseUrlBytes) {
    return Unexpected{
        fmt::format("the URL is {} bytes, more than the limit of {} (database URLs): "
                    "shorten it (give a long password with password_file)",
                    url.size(), kMaxDatabaseUrlBytes)};
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

}  // namespace maintd::connection
