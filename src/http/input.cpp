// Input checks for the API (see input.hpp).
#include "http/input.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "common/json_parse.hpp"
#include "common/suggest.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;

std::string names(std::initializer_list<std::string_view> known) {
  std::string out;
  for (std::string_view name : known) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

Expected<json, Response> parse_json_body(const Request& request, json empty_as) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return empty_as;
  auto parsed = parse_json(request.body);
  if (!parsed) {
    const JsonError& error = parsed.error();
    json details = json::object();
    if (error.byte) details["byte"] = *error.byte;
    return Unexpected{error_response(
        400, fmt::format("the body is not valid JSON: {}", error.message), std::move(details))};
  }
  return std::move(parsed).value();
}

Expected<json, Response> parse_json_object(const Request& request,
                                           std::initializer_list<std::string_view> known) {
  auto body = parse_json_body(request, json::object());
  if (!body) return body;
  if (!body.value().is_object()) {
    return Unexpected{error_response(
        400, fmt::format("the body must be a JSON object, got {}", body.value().type_name()))};
  }
  const std::vector<std::string> candidates(known.begin(), known.end());
  for (const auto& [key, value] : body.value().items()) {
    bool found = false;
    for (std::string_view name : known) found = found || key == name;
    if (!found) {
      return Unexpected{error_response(400,
                                       fmt::format("unknown field '{}'{} (known: {})", key,
                                                   did_you_mean(key, candidates), names(known)),
                                       {{"field", key}})};
    }
  }
  return body;
}

std::optional<Response> check_query(const Request& request,
                                    std::initializer_list<std::string_view> known) {
  const std::vector<std::string> candidates(known.begin(), known.end());
  for (const auto& [key, value] : request.query) {
    bool found = false;
    for (std::string_view name : known) found = found || key == name;
    if (!found) {
      return error_response(400,
                            fmt::format("unknown query parameter '{}'{} (known: {})", key,
                                        did_you_mean(key, candidates), names(known)),
                            {{"parameter", key}});
    }
  }
  return std::nullopt;
}

Expected<std::int64_t, Response> integer_parameter(std::string_view name, const std::string& text,
                                                   std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || rest != end || value < min || value > max) {
    return Unexpected{error_response(
        400, fmt::format("{} must be an integer from {} to {}, got '{}'", name, min, max, text),
        {{"parameter", std::string(name)}, {"value", text}})};
  }
  return value;
}

}  // namespace maintd::http
