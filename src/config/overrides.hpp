#pragma once
// Config keys for one run laid over a task's config (`maintd run --set`, the HTTP API's
// `POST /scheduled-tasks/{name}/run`), checked against the handler's schema before anything is
// recorded.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "registry/schema.hpp"

namespace maintd::config {

// `base` with `overrides` laid over it, checked against `schema` and completed with its
// defaults. The errors (one per line) name each overriding key as `<label> key` ("--set
// timeout_minutes: ..."), and say "pass it with <label>" for a required key that is missing.
Expected<nlohmann::json, std::vector<std::string>> apply_overrides(
    const nlohmann::json& base, const nlohmann::json& overrides,
    const registry::ConfigSchema& schema, const std::set<std::string>& databases,
    std::string_view label = "--set");

}  // namespace maintd::config
