// Input checks for the API (see input.hpp).
#include "http/input.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "common/suggest.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;

// nlohmann's message without its "[json.exception.parse_error.101] " prefix and without the
// "last read: '...'" excerpt, which would echo the body (it may hold a secret) into the answer.
std::string parse_message(const json::parse_error& error) {
  std::string message = error.what();
  if (const auto bracket = message.find("] ");
      message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
    message = message.substr(bracket + 2);
  }
  if (const auto last = message.find("; last read:"); last != std::string::npos) {
    const auto expected = message.find("; expected", last);
    message = message.substr(0, last) +
              (expected == std::string::npos ? std::string() : message.substr(expected));
  }
  return message;
}

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
  try {
    return json::parse(request.body);
  } catch (const json::parse_error& e) {
    return Unexpected{error_response(
        400, fmt::format("the body is not valid JSON: {}", parse_message(e)), {{"byte", e.byte}})};
  }
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
