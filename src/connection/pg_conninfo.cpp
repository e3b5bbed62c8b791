#include "connection/pg_conninfo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace maintd::connection {
namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Characters a value may hold without quotes. Anything else (whitespace, quotes, backslashes,
// '&', ...) is quoted: libpq needs it for some, and quoting the rest keeps the string readable
// by mask_secrets, which must find the end of every password.
bool needs_no_quotes(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-._~/:,@%+=").find(c) != std::string_view::npos;
  });
}

}  // namespace

void PgParameters::set(std::string_view keyword, std::string value) {
  for (auto& parameter : items_) {
    if (parameter.keyword == keyword) {
      parameter.value = std::move(value);
      return;
    }
  }
  items_.push_back({std::string(keyword), std::move(value)});
}

const std::string* PgParameters::find(std::string_view keyword) const {
  for (const auto& parameter : items_) {
    if (parameter.keyword == keyword) return &parameter.value;
  }
  return nullptr;
}

bool is_pg_keyword(std::string_view word) {
  if (word.empty() || !std::islower(static_cast<unsigned char>(word[0]))) return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool is_secret_keyword(std::string_view keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

bool is_pg_keyword_value(std::string_view text) {
  return text.find("://") == std::string_view::npos && text.find('=') != std::string_view::npos;
}

Expected<PgLocation, std::string> parse_pg_keyword_value(std::string_view text) {
  PgLocation out;
  // The keyword of the previous pair when its value was a secret written without quotes: a
  // stray word after it is probably the rest of that secret, so errors must not quote it.
  std::string after_secret;
  const auto name = [&](std::string_view word) {
    return after_secret.empty()
               ? fmt::format("'{}'", word)
               : fmt::format(
                     "a word that follows the value of '{}' (a value holding spaces "
                     "must be single-quoted: {}='...')",
                     after_secret, after_secret);
  };
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  for (;;) {
    skip_spaces();
    if (i == text.size()) break;
    const std::size_t keyword_begin = i;
    while (i < text.size() && text[i] != '=' && !is_space(text[i])) ++i;
    const std::string_view keyword = text.substr(keyword_begin, i - keyword_begin);
    skip_spaces();
    if (i == text.size() || text[i] != '=') {
      if (!after_secret.empty()) return Unexpected{"missing '=' after " + name(keyword)};
      return Unexpected{
          fmt::format("missing '=' after '{}' (write keyword=value pairs separated "
                      "by spaces, e.g. host=db dbname=app)",
                      keyword)};
    }
    if (!is_pg_keyword(keyword)) {
      return Unexpected{fmt::format(
          "{} is not a connection parameter name (libpq's are lowercase words: host, port, "
          "dbname, user, sslmode, ...)",
          keyword.empty() ? std::string("an empty name before '='") : name(keyword))};
    }
    ++i;            // the '='
    skip_spaces();  // libpq's rule: whitespace after '=' is not part of the value
    std::string value;
    const bool quoted = i < text.size() && text[i] == '\'';
    if (quoted) {
      ++i;
      for (;;) {
        if (i == text.size()) {
          return Unexpected{fmt::format("the quoted value of '{}' has no closing quote", keyword)};
        }
        const char c = text[i++];
        if (c == '\'') break;
        if (c == '\\' && i < text.size()) {
          value += text[i++];
        } else {
          value += c;
        }
      }
    } else {
      while (i < text.size() && !is_space(text[i])) {
        const char c = text[i++];
        if (c == '\\' && i < text.size()) {
          value += text[i++];
        } else if (c != '\\') {
          value += c;
        }
      }
    }
    after_secret = is_secret_keyword(keyword) && !quoted ? std::string(keyword) : std::string();
    out.parameters.set(keyword, std::move(value));
  }
  if (out.parameters.empty()) {
    return Unexpected{std::string("an empty connection string")};
  }
  out.display = to_conninfo(out.parameters, true);
  return out;
}

std::string conninfo_value(std::string_view value) {
  if (needs_no_quotes(value)) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string to_conninfo(const PgParameters& parameters, bool mask) {
  std::string out;
  for (const auto& [keyword, value] : parameters.items()) {
    if (!out.empty()) out += ' ';
    out += keyword;
    out += '=';
    if (mask && is_secret_keyword(keyword)) {
      out += "***";
    } else {
      out += conninfo_value(value);
    }
  }
  return out;
}

}  // namespace maintd::connection
