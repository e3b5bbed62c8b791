// Parsing JSON from outside, depth first (see json_parse.hpp).
#include "common/json_parse.hpp"

#include <fmt/format.h>

namespace maintd {
namespace {

using nlohmann::json;

// nlohmann's message without its "[json.exception.parse_error.101] " prefix and without the
// "last read: '...'" excerpt, which would echo the input (it may hold a secret).
std::string parse_message(const json::parse_error& error) {
  std::string message = error.what();
  if (const auto bracket = message.find("] ");
      message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
    message = message.substr(bracket + 2);
  }
  if (const auto last = message.find("; last read:"); last != std::string::npos) {
    const auto expected = message.find("; expected", last);
    message = message.substr(0, last) +
              (expected == std::string::npos ? std::string() : message.substr(expected));
  }
  return message;
}

}  // namespace

std::optional<std::size_t> json_too_deep_at(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limit) return i;
        break;
      case ']':
      case '}':
        // Unbalanced closers are the parser's to report; never wrap below zero.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

Expected<json, JsonError> parse_json(std::string_view text, std::size_t max_depth) {
  if (const auto at = json_too_deep_at(text, max_depth)) {
    return Unexpected{JsonError{
        fmt::format("arrays and objects nest deeper than {} levels, the most maintd accepts",
                    max_depth),
        *at + 1, true}};
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return Unexpected{JsonError{parse_message(e), e.byte}};
  } catch (const json::out_of_range&) {
    // 406, the only one the parser raises: its message quotes the number, which is not shown.
    return Unexpected{JsonError{"a number is too large to be represented", std::nullopt}};
  } catch (const json::exception& e) {
    return Unexpected{
        JsonError{fmt::format("invalid JSON (nlohmann error {})", e.id), std::nullopt}};
  }
}

}  // namespace maintd
