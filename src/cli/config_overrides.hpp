#pragma once
// `--set key=value` on the command line: config keys for one run (or one table task), typed as
// YAML scalars are (`15` is an integer, `true` a boolean, `"15"` a string), and checked against
// the handler's schema before anything is recorded.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "registry/schema.hpp"

namespace maintd::cli {

// {"key": value, ...} from "key=value" texts; the error names the bad argument. With `schema`,
// a key it declares as text (string, identifier, database) takes an unquoted value as written:
// `--set id=00042` is the id "00042", not the number 42.
Expected<nlohmann::json, std::string> parse_overrides(
    const std::vector<std::string>& assignments, const registry::ConfigSchema* schema = nullptr);

// `base` with `overrides` laid over it, checked against `schema` and completed with its
// defaults. The errors (one per line) name each `--set` key at fault.
Expected<nlohmann::json, std::vector<std::string>> apply_overrides(
    const nlohmann::json& base, const nlohmann::json& overrides,
    const registry::ConfigSchema& schema, const std::set<std::string>& databases);

}  // namespace maintd::cli
