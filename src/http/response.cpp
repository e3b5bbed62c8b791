// Response builders.
#include "http/response.hpp"

#include "common/json_text.hpp"

namespace maintd::http {

Response json_response(unsigned status, const nlohmann::json& value) {
  Response response;
  response.status = status;
  // Stored text (run errors, events) is not guaranteed to be UTF-8: replace, never throw.
  response.body = json_text(value);
  response.body.push_back('\n');
  return response;
}

Response error_response(unsigned status, const std::string& message, nlohmann::json details) {
  nlohmann::json body = nlohmann::json::object();
  body["error"] = message;
  if (details.is_object()) {
    for (auto& [key, value] : details.items()) {
      if (key != "error") body[key] = std::move(value);
    }
  }
  return json_response(status, body);
}

Response text_response(unsigned status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response html_response(unsigned status, std::string body) {
  return text_response(status, std::move(body), "text/html; charset=utf-8");
}

Response redirect_response(std::string location) {
  Response response = text_response(303, {});
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

Response retry_later_response(const std::string& status, const std::string& message) {
  Response response = error_response(503, message, {{"status", status}});
  // A second: a start takes milliseconds, 2.5 s for 100,000 tasks (docs/benchmarks.md).
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace maintd::http
