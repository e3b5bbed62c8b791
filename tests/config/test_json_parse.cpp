// JSON from outside: the depth limit and errors that never quote the input (common/json_parse).
#include <doctest/doctest.h>

#include <string>

#include "common/json_parse.hpp"

using maintd::json_too_deep_at;
using maintd::parse_json;

namespace {

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

TEST_CASE("json: nesting is counted outside strings, escaped quotes included") {
  struct Row {
    std::string text;
    std::size_t limit;
    std::optional<std::size_t> too_deep_at;
  };
  const Row rows[] = {
      {"{}", 1, std::nullopt},
      {"[[]]", 1, 1},
      {R"({"a": [1, {"b": 2}]})", 3, std::nullopt},
      {R"({"a": [1, {"b": 2}]})", 2, 10},
      {R"(["[[[[", "{{{{"])", 1, std::nullopt},  // brackets in strings do not count
      {R"(["\"[[[", "\\", [1]])", 1, 16},        // \" stays in the string, \\ ends it
      {"]]]][", 1, std::nullopt},                // closers never make the depth negative
      {"", 1, std::nullopt},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    CHECK(json_too_deep_at(row.text, row.limit) == row.too_deep_at);
  }
}

TEST_CASE("json: a body at the limit parses and one level more is refused, quickly") {
  CHECK(parse_json(nested_arrays(maintd::kMaxJsonDepth)));
  const auto deep = parse_json(nested_arrays(80000));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message ==
        "arrays and objects nest deeper than 128 levels, the most maintd accepts");
  CHECK(deep.error().byte == 129);
}

TEST_CASE("json: a number out of range is an error, not an exception") {
  const auto huge = parse_json(R"({"a": 1e999999})");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message == "a number is too large to be represented");
  CHECK(huge.error().message.find("999999") == std::string::npos);
}

TEST_CASE("json: a syntax error names the position without quoting the input") {
  const auto bad = parse_json(R"({"password": "hunter2" x})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "parse error at line 1, column 24: syntax error while parsing object - invalid literal; "
        "expected '}'");
  CHECK(bad.error().byte == 24);
  CHECK(bad.error().message.find("hunter2") == std::string::npos);
}
