#pragma once
// Reading what a client sent, where bad input must become a 400 that says what was wrong (never
// a 500): JSON bodies, their fields, query parameters. Each check returns the error response, or
// nothing when the input is fine.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace maintd::http {

// The body as JSON; an empty body is `empty_as`. 400 naming the position of a syntax error.
Expected<nlohmann::json, Response> parse_json_body(const Request& request, nlohmann::json empty_as);
// The body parsed and required to be an object with only `known` members (400 naming the first
// other member, with a suggestion).
Expected<nlohmann::json, Response> parse_json_object(const Request& request,
                                                     std::initializer_list<std::string_view> known);

// 400 when the query has a parameter not in `known`.
std::optional<Response> check_query(const Request& request,
                                    std::initializer_list<std::string_view> known);
// A decimal integer in [min, max]; "limit must be an integer from 1 to 1000, got 'abc'".
Expected<std::int64_t, Response> integer_parameter(std::string_view name, const std::string& text,
                                                   std::int64_t min, std::int64_t max);

}  // namespace maintd::http
