#pragma once
// One HTTP response as route handlers build it. Every error the API returns is JSON
// {"error": "...", ...}: error() is the one way to make one.
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace maintd::http {

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  // Extra headers; a name may repeat (Set-Cookie).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// `value` serialized (invalid UTF-8 replaced, never thrown on) with the content type JSON.
Response json_response(unsigned status, const nlohmann::json& value);
// {"error": message} merged with `details` (an object; other members it has are kept).
Response error_response(unsigned status, const std::string& message,
                        nlohmann::json details = nlohmann::json::object());
Response text_response(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
Response html_response(unsigned status, std::string body);
// 303 See Other to `location` (a form post's answer).
Response redirect_response(std::string location);
// 503 with `Retry-After: 1`: {"error": message, "status": status}. maintd is starting or
// stopping, or cannot reach its state database; a client may simply ask again.
Response retry_later_response(const std::string& status, const std::string& message);

}  // namespace maintd::http
