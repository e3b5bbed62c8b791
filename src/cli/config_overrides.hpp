#pragma once
// `--set key=value` on the command line: config keys for one run (or one table task), typed as
// YAML scalars are (`15` is an integer, `true` a boolean, `"15"` a string), and checked against
// the handler's schema before anything is recorded.
#include <nlohmann/json.hpp>
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

}  // namespace maintd::cli
