#include "connection/pg_uri.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace maintd::connection {
namespace {

constexpr std::string_view kSchemes[] = {"postgresql://", "postgres://"};
constexpr std::string_view kPercentHint =
    "a '%' must be followed by two hex digits; write '%' as %25";

std::size_t scheme_length(std::string_view text) {
  for (const std::string_view scheme : kSchemes) {
    if (text.starts_with(scheme)) return scheme.size();
  }
  return 0;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one part of the URI. `part` names it in errors, which quote the text only when
// it is not a secret.
Expected<std::string, std::string> decode(std::string_view text, std::string_view part,
                                          bool secret) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      if (secret)
        return Unexpected{fmt::format("bad percent-encoding in the {} ({})", part, kPercentHint)};
      return Unexpected{fmt::format("bad percent-encoding '{}' in the {} '{}' ({})",
                                    text.substr(i, 3), part, text, kPercentHint)};
    }
    if (high == 0 && low == 0) {
      return Unexpected{fmt::format("%00 (a NUL byte) is not allowed in the {}", part)};
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// Reads the URI from left to right as libpq's conninfo_uri_parse_options does, recording where
// secrets are so the display can hide them.
class UriReader {
 public:
  explicit UriReader(std::string_view uri) : uri_(uri), at_(scheme_length(uri)) {}

  Expected<PgLocation, std::string> read() {
    if (at_ == 0) {
      return Unexpected{std::string("a PostgreSQL URI starts with postgresql:// or postgres://")};
    }
    if (uri_.find_first_of(" \t\r\n\f\v") != std::string_view::npos) {
      return Unexpected{std::string("a URI cannot hold spaces: write a space as %20")};
    }
    for (auto step :
         {&UriReader::user_info, &UriReader::hosts, &UriReader::database, &UriReader::query}) {
      if (auto error = (this->*step)(); !error.empty()) return Unexpected{std::move(error)};
    }
    out_.is_uri = true;
    out_.display = std::string(uri_);
    // From the end, so earlier positions stay valid.
    for (auto it = secrets_.rbegin(); it != secrets_.rend(); ++it) {
      out_.display.replace(it->first, it->second, "***");
    }
    return std::move(out_);
  }

 private:
  char current() const { return at_ < uri_.size() ? uri_[at_] : '\0'; }
  std::size_t find(std::string_view any_of) const {
    return std::min(uri_.find_first_of(any_of, at_), uri_.size());
  }

  // Decodes `raw` and sets `keyword` to it unless it is empty (libpq's rule: an empty part is
  // the same as none, so defaults and PG* variables still apply).
  std::string store(std::string_view keyword, std::string_view raw, std::string_view part,
                    bool secret = false) {
    if (raw.empty()) return {};
    auto value = decode(raw, part, secret);
    if (!value) return value.error();
    out_.parameters.set(keyword, std::move(value.value()));
    return {};
  }

  // [user[:password]@]: present when an '@' comes before any '/'.
  std::string user_info() {
    const std::size_t end = find("@/");
    if (current() == '\0' || end == uri_.size() || uri_[end] != '@') return {};
    const std::string_view info = uri_.substr(at_, end - at_);
    const std::size_t colon = std::min(info.find(':'), info.size());
    if (auto error = store("user", info.substr(0, colon), "user name"); !error.empty()) {
      return error;
    }
    if (colon < info.size()) {
      secrets_.emplace_back(at_ + colon + 1, info.size() - colon - 1);
      if (auto error = store("password", info.substr(colon + 1), "password", true);
          !error.empty()) {
        return error;
      }
    }
    at_ = end + 1;
    return {};
  }

  // host[:port][,host[:port]...], joined into host=h1,h2 and port=p1,p2 as libpq does.
  std::string hosts() {
    std::string hosts;
    std::string ports;
    for (int index = 1;; ++index) {
      std::string_view host;
      if (current() == '[') {
        const std::size_t close = uri_.find(']', at_);
        if (close == std::string_view::npos) {
          return std::string("an IPv6 address in brackets has no closing ']'");
        }
        host = uri_.substr(at_ + 1, close - at_ - 1);
        if (host.empty()) return std::string("an IPv6 address in brackets is empty: []");
        at_ = close + 1;
        if (current() != '\0' &&
            std::string_view(":/?,").find(current()) == std::string_view::npos) {
          return fmt::format(
              "unexpected '{}' after the IPv6 address [{}] (expected ':', '/', "
              "'?' or ',')",
              current(), host);
        }
      } else {
        const std::size_t end = find(":/?,");
        host = uri_.substr(at_, end - at_);
        at_ = end;
      }
      if (host.find('@') != std::string_view::npos) {
        return std::string(
            "an '@' in the host: write an '@' in a user name or password as %40 (the host is "
            "not shown: it may hold part of a password)");
      }
      hosts += host;
      if (current() == ':') {
        ++at_;
        const std::size_t end = find("/?,");
        const std::string_view port = uri_.substr(at_, end - at_);
        if (!all_digits(port)) {
          // Neither port nor host is quoted: after a password holding a raw '/', both are parts
          // of it.
          return fmt::format(
              "the port of host {} is not a number (if a password holding a '/' comes before it, "
              "write the '/' as %2F)",
              index);
        }
        ports += port;
        at_ = end;
      }
      if (current() != ',') break;
      ++at_;
      hosts += ',';
      ports += ',';
    }
    if (auto error = store("host", hosts, "host"); !error.empty()) return error;
    return store("port", ports, "port");
  }

  // [/dbname]
  std::string database() {
    if (current() != '/') return {};
    ++at_;
    const std::size_t end = find("?");
    const std::string_view name = uri_.substr(at_, end - at_);
    at_ = end;
    if (name.find('@') != std::string_view::npos) {
      return std::string(
          "an '@' in the database name: write it as %40, and any '/' in a user name or password "
          "as %2F (the name is not shown: it may hold part of a password)");
    }
    return store("dbname", name, "database name");
  }

  // [?keyword=value&...]
  std::string query() {
    if (current() != '?') return {};
    ++at_;
    out_.has_query = true;
    bool after_secret = false;  // a stray '&' in a secret would make its tail look like a pair
    for (int index = 1; at_ < uri_.size(); ++index) {
      const std::size_t end = find("&");
      const std::string_view pair = uri_.substr(at_, end - at_);
      const std::size_t pair_begin = at_;
      at_ = end == uri_.size() ? end : end + 1;
      const std::string_view raw_keyword = pair.substr(0, pair.find('='));
      const std::string named = after_secret || !is_pg_keyword(raw_keyword)
                                    ? fmt::format("query parameter {}", index)
                                    : fmt::format("query parameter {} ('{}')", index, raw_keyword);
      const std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) {
        return fmt::format(
            "{} has no '=' (write keyword=value pairs separated by '&'; a '&' in "
            "a value as %26)",
            named);
      }
      if (pair.find('=', equals + 1) != std::string_view::npos) {
        return fmt::format("{} has a second '=' (write an '=' in a value as %3D)", named);
      }
      auto keyword = decode(pair.substr(0, equals), "name of " + named, after_secret);
      if (!keyword) return keyword.error();
      if (!is_pg_keyword(*keyword)) {
        return fmt::format(
            "{} is not a connection parameter name (libpq's are lowercase words: sslmode, "
            "connect_timeout, application_name, ...)",
            after_secret ? named : fmt::format("'{}' in {}", *keyword, named));
      }
      const bool secret = is_secret_keyword(*keyword);
      const std::string_view raw_value = pair.substr(equals + 1);
      if (secret) secrets_.emplace_back(pair_begin + equals + 1, raw_value.size());
      auto value = decode(raw_value, fmt::format("value of '{}'", *keyword), secret);
      if (!value) return value.error();
      if (*keyword == "ssl" && *value == "true") {  // libpq's alias, for JDBC's URIs
        out_.parameters.set("sslmode", "require");
      } else {
        out_.parameters.set(*keyword, std::move(value.value()));
      }
      after_secret = secret;
    }
    return {};
  }

  std::string_view uri_;
  std::size_t at_;
  PgLocation out_;
  std::vector<std::pair<std::size_t, std::size_t>> secrets_;  // (position, length) in uri_
};

}  // namespace

bool is_pg_uri(std::string_view text) {
  return scheme_length(text) != 0;
}

Expected<PgLocation, std::string> parse_pg_uri(std::string_view uri) {
  return UriReader(uri).read();
}

}  // namespace maintd::connection
