// /api/v1/pause and /api/v1/resume: pause every daemon sharing the state database, and end it.
#include <fmt/format.h>

#include "common/duration.hpp"
#include "http/api.hpp"
#include "http/input.hpp"
#include "service/service.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;
using service::Service;

// A string member of `body`, or a 400 naming it.
Expected<std::optional<std::string>, Response> string_member(const json& body,
                                                             const std::string& name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Unexpected{error_response(
        400, fmt::format("{} must be a string, got {}", name, it->type_name()), {{"field", name}})};
  }
  return std::optional<std::string>(it->get<std::string>());
}

// GET: {"paused": false} or the pause (docs/api.md).
Response show_pause(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  return json_response(200, {{"pause", service::pause_to_json(service.current_pause())}});
}

// POST {"for": "30m", "reason": "deploy", "by": "deploy-bot"}: all optional.
Response pause_all(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  auto body = parse_json_object(request, {"for", "reason", "by"});
  if (!body) return body.error();
  service::PauseAsk ask;
  ask.by = "the admin API";
  const auto duration = string_member(body.value(), "for");
  if (!duration) return duration.error();
  if (duration.value()) {
    const auto parsed = parse_duration(*duration.value());
    if (!parsed) {
      return error_response(400, fmt::format("for: {}", parsed.error()), {{"field", "for"}});
    }
    ask.duration = parsed.value();
  }
  const auto reason = string_member(body.value(), "reason");
  if (!reason) return reason.error();
  ask.reason = reason.value().value_or("");
  const auto by = string_member(body.value(), "by");
  if (!by) return by.error();
  if (by.value() && !by.value()->empty()) ask.by = *by.value();
  if (ask.by.size() > 200) {
    return error_response(400, "by must be at most 200 characters", {{"field", "by"}});
  }
  const auto outcome = service.pause(ask, "the admin API");
  if (!outcome) return error_response(400, outcome.error());
  json out = service::pause_to_json(outcome.value().pause);
  out["changed_current"] = outcome.value().changed_current;
  return json_response(200, {{"pause", std::move(out)}});
}

// POST {"by": "deploy-bot"}: ends the current pause; 409 when there is none.
Response resume_all(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  auto body = parse_json_object(request, {"by"});
  if (!body) return body.error();
  const auto by = string_member(body.value(), "by");
  if (!by) return by.error();
  const std::string who = by.value() && !by.value()->empty() ? *by.value() : "the admin API";
  const auto ended = service.resume(who, "the admin API");
  if (!ended) return error_response(409, "maintd is not paused: nothing to resume");
  return json_response(200, {{"resumed", true}, {"pause", service::pause_to_json(ended)}});
}

}  // namespace

void register_pause_routes(Router& router, Service& service) {
  router.add(
      Method::get, "/api/v1/pause", [&service](Request& r) { return show_pause(service, r); },
      Access::read);
  router.add(
      Method::post, "/api/v1/pause", [&service](Request& r) { return pause_all(service, r); },
      Access::write);
  router.add(
      Method::post, "/api/v1/resume", [&service](Request& r) { return resume_all(service, r); },
      Access::write);
}

}  // namespace maintd::http
