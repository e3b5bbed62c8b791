#pragma once
// http.request's payload: the run's values put into `body` and `json` (placeholders), and the
// answer's body put into the run's result (JSON when it is JSON).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "registry/handler.hpp"

namespace maintd::handlers {

// What {run_id}, {task}, {slot} and {dry_run} stand for in a run.
struct RunValues {
  std::int64_t run_id = 0;
  std::string task;
  std::optional<std::string> slot;  // UTC ISO-8601; empty for a manual run
  bool dry_run = false;
};
RunValues run_values(const registry::HandlerContext& context);

// `text` with each placeholder replaced by its value as text ({slot} of a manual run: "").
// Anything else in braces is left as it is: a JSON body is full of them.
std::string fill_placeholders(std::string_view text, const RunValues& values);

// A `json` value with placeholders filled in its strings. A string that is exactly one
// placeholder becomes the value with its JSON type: "{run_id}" a number, "{dry_run}" a boolean,
// "{slot}" a string (null for a manual run). Keys are left as they are.
nlohmann::json fill_placeholders(const nlohmann::json& value, const RunValues& values);

// An answer's body as the run's result holds it: the JSON it is, when its Content-Type says JSON
// (or says nothing and it reads as an object or array) and it was not cut; else the text, made
// valid UTF-8.
nlohmann::json response_body(const std::string& body, const std::string& content_type,
                             bool truncated);

// The start of a body, fit for one line of an error: printable, at most `limit` bytes.
std::string body_excerpt(std::string_view body, std::size_t limit = 200);

}  // namespace maintd::handlers
