// `--set key=value`: values typed as YAML scalars, except for keys the handler declares as text.
#include <doctest/doctest.h>

#include "cli/config_overrides.hpp"

using maintd::cli::parse_overrides;
using maintd::registry::ConfigSchema;
using maintd::registry::KeySpec;
using maintd::registry::ValueType;

TEST_CASE("--set types values as YAML scalars") {
  const auto parsed = parse_overrides({"timeout_minutes=0", "force=true", "ratio=0.5", "name=x"});
  REQUIRE(parsed.has_value());
  CHECK(parsed.value()["timeout_minutes"] == 0);
  CHECK(parsed.value()["force"] == true);
  CHECK(parsed.value()["ratio"] == 0.5);
  CHECK(parsed.value()["name"] == "x");
}

// Regression: `maintd run claims.unclaim --set id=42` failed with "expected a string, got an
// integer", and an id like 00042 would have become the number 42.
TEST_CASE("regression: --set takes a text key's unquoted value as written") {
  ConfigSchema schema({KeySpec{"id", ValueType::string, "the row", false, {}, {}, {}, {}},
                       KeySpec{"table", ValueType::identifier, "", false, {}, {}, {}, {}},
                       KeySpec{"limit", ValueType::integer, "", false, {}, {}, {}, {}}});
  const auto parsed = parse_overrides({"id=00042", "table=true", "limit=7", "other=12"}, &schema);
  REQUIRE(parsed.has_value());
  CHECK(parsed.value()["id"] == "00042");
  CHECK(parsed.value()["table"] == "true");
  CHECK(parsed.value()["limit"] == 7);   // typed keys still typed
  CHECK(parsed.value()["other"] == 12);  // unknown keys as YAML (the schema check reports them)

  const auto quoted = parse_overrides({"id='a: b'"}, &schema);
  REQUIRE(quoted.has_value());
  CHECK(quoted.value()["id"] == "a: b");  // quotes still allow ':' and '#'
}

TEST_CASE("--set errors name the argument") {
  const auto missing = parse_overrides({"novalue"});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == "--set 'novalue': expected key=value (e.g. --set timeout_minutes=30)");
  const auto list = parse_overrides({"ids=[1, 2]"});
  REQUIRE_FALSE(list.has_value());
  CHECK(list.error().find("--set ids=[1, 2]: the value must be a single scalar") == 0);
}
