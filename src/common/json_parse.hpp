#pragma once
// JSON that comes from outside maintd: an API request's body, a row of a task table, a command
// line's --config-json, a run's stored config or result.
//
// nlohmann's parser itself is iterative, but what follows it is not: dump(), the config schema's
// checks, secret redaction and placeholder expansion all recurse once per level, so a body nested
// 80,000 deep overflows the stack of whichever thread walks it first (issue 24.2). The text is
// therefore refused before it is parsed when it nests deeper than any configuration needs.
//
// Errors say what and where (a byte offset) but never quote the text: it may hold a secret.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd {

// Arrays and objects nested deeper than this are refused. maintd's own configs nest 3 or 4
// levels; 128 leaves room for an application's payloads (serde_json's default is the same).
inline constexpr std::size_t kMaxJsonDepth = 128;

struct JsonError {
  std::string message;              // "syntax error while parsing value - invalid literal"
  std::optional<std::size_t> byte;  // 1-based, where the parser stopped, when it says
  bool too_deep = false;            // refused for its nesting alone (max_depth)
};

// Where the first array or object that opens nesting level `limit + 1` starts (a 0-based byte
// offset), or nothing when the text stays within `limit`. A linear scan that skips strings; it
// does not check the syntax (the parser does).
std::optional<std::size_t> json_too_deep_at(std::string_view text,
                                            std::size_t limit = kMaxJsonDepth);

// `text` parsed, or why not: too deep, a syntax error, a number out of range (1e999999).
Expected<nlohmann::json, JsonError> parse_json(std::string_view text,
                                               std::size_t max_depth = kMaxJsonDepth);

}  // namespace maintd
