#pragma once
#include <nlohmann/json.hpp>

namespace maintd::config {

// A copy safe to print: values of keys that name a secret (password, token, secret, key
// material) become "***", and passwords inside connection strings are masked.
nlohmann::json redact(const nlohmann::json& value);

}  // namespace maintd::config
