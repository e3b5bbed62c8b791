#pragma once
// What a JSON value is, in the words error messages use: "a string", "a boolean", "an integer",
// "a number", "a list", "a map", "nothing". Without the value itself, so that it may describe a
// secret too.
#include <nlohmann/json.hpp>
#include <string>

namespace maintd {

std::string json_value_kind(const nlohmann::json& value);

}  // namespace maintd
