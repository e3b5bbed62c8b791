#pragma once
#include <nlohmann/json.hpp>

namespace maintd::config {

// A copy safe to print: values of keys that name a secret (password, token, secret, key
// material, an Authorization or cookie header) become "***", passwords inside connection
// strings are masked, and so are an http(s) URL's user info and the values of its secret query
// parameters (those whose names say so, and those listed in a `secret_query_params` beside it
// or above it).
nlohmann::json redact(const nlohmann::json& value);

}  // namespace maintd::config
