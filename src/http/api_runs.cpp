// /api/v1/runs: the history with cursor paging, one run with its events, cancel.
#include <cctz/time_zone.h>
#include <fmt/format.h>

#include <limits>

#include "http/api.hpp"
#include "http/input.hpp"
#include "service/json_views.hpp"
#include "service/service.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;
using service::Service;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;
constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();

Expected<service::RunId, Response> run_id(const Request& request) {
  return integer_parameter("run id", request.param("id"), 1, kMaxId);
}

// GET /runs?task=&status=&since=&limit=&cursor=: newest first. A page of `limit` runs and, when
// older ones exist, `next_cursor`: pass it as `cursor` for the next page. Paging by id (not by
// offset) returns every run once even while new runs are recorded.
Response list_runs(Service& service, Request& request) {
  if (auto bad = check_query(request, {"task", "status", "trigger", "since", "limit", "cursor"})) {
    return *bad;
  }
  service::HistoryFilter filter;
  if (auto task = request.query_value("task")) filter.task = *task;
  if (auto status = request.query_value("status")) {
    filter.status = service::parse_run_status(*status);
    if (!filter.status) {
      return error_response(400,
                            fmt::format("status must be one of pending, running, completed, "
                                        "failed, timed_out, cancelled, abandoned, skipped; got "
                                        "'{}'",
                                        *status),
                            {{"parameter", "status"}, {"value", *status}});
    }
  }
  if (auto trigger = request.query_value("trigger")) {
    filter.trigger = service::parse_trigger(*trigger);
    if (!filter.trigger) {
      return error_response(400,
                            fmt::format("trigger must be one of schedule, manual, catchup, retry, "
                                        "once; got '{}'",
                                        *trigger),
                            {{"parameter", "trigger"}, {"value", *trigger}});
    }
  }
  if (auto since = request.query_value("since")) {
    const auto instant = parse_instant(*since, cctz::utc_time_zone());
    if (!instant) {
      return error_response(400,
                            fmt::format("since must be a timestamp such as 2026-11-24T12:00:00Z, "
                                        "got '{}': {}",
                                        *since, instant.error()),
                            {{"parameter", "since"}, {"value", *since}});
    }
    filter.since = std::chrono::time_point_cast<std::chrono::milliseconds>(instant.value());
  }
  int limit = kDefaultLimit;
  if (auto text = request.query_value("limit")) {
    auto value = integer_parameter("limit", *text, 1, kMaxLimit);
    if (!value) return value.error();
    limit = static_cast<int>(value.value());
  }
  if (auto text = request.query_value("cursor")) {
    auto value = integer_parameter("cursor", *text, 1, kMaxId);
    if (!value) return value.error();
    filter.before_id = value.value();
  }
  const service::HistoryPage page = service.history(filter, limit);
  const json next_cursor = page.next_cursor ? json(*page.next_cursor) : json();
  json list = json::array();
  for (const auto& run : page.runs) list.push_back(service::run_to_json(run));
  return json_response(200, {{"runs", std::move(list)}, {"next_cursor", next_cursor}});
}

Response show_run(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const auto id = run_id(request);
  if (!id) return id.error();
  const auto run = service.run(id.value());
  if (!run) return error_response(404, fmt::format("no run {}", id.value()));
  json out = service::run_to_json(*run);
  json events = json::array();
  for (const auto& event : service.events(run->id)) {
    events.push_back(service::event_to_json(event));
  }
  out["events"] = std::move(events);
  return json_response(200, {{"run", std::move(out)}});
}

Response cancel_run(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  if (auto body = parse_json_object(request, {}); !body) return body.error();
  const auto id = run_id(request);
  if (!id) return id.error();
  const scheduler::CancelOutcome outcome = service.cancel(id.value());
  using Result = scheduler::CancelOutcome::Result;
  switch (outcome.result) {
    case Result::not_found:
      return error_response(404, fmt::format("no run {}", id.value()));
    case Result::finished:
      return error_response(
          409, fmt::format("run {} has already ended ({})", id.value(), to_string(outcome.status)),
          {{"run_id", id.value()}, {"status", std::string(to_string(outcome.status))}});
    case Result::cancelled:
      break;
  }
  return json_response(202, {{"run_id", id.value()}, {"status", "cancelled"}});
}

}  // namespace

void register_run_routes(Router& router, Service& service) {
  router.add(
      Method::get, "/api/v1/runs", [&service](Request& r) { return list_runs(service, r); },
      Access::read);
  router.add(
      Method::get, "/api/v1/runs/{id}", [&service](Request& r) { return show_run(service, r); },
      Access::read);
  router.add(
      Method::post, "/api/v1/runs/{id}/cancel",
      [&service](Request& r) { return cancel_run(service, r); }, Access::write);
}

}  // namespace maintd::http
