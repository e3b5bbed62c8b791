#pragma once
// The dashboard's pages, registered by register_dashboard (dashboard.hpp):
//
//   GET /                   every task (a page of 100: ?page=, ?per_page= up to 1,000): its
//                           schedule, next slot, a strip of its last 50 runs and their
//                           durations, its last run in words, its state and buttons
//   GET /overview           the last 24 hours of every task on one time axis, overdue and
//                           failing tasks first (paged likewise)
//   GET /tasks/{name}       a task: charts of its runs' duration and headline count over time,
//                           its runs with their results and events (?status=, ?trigger=,
//                           ?since=1h|24h|7d|30d; ?before=ID: older)
//   GET /runs/{id}          one run with all its events
//
// Each answers a request with `X-Maintd-Live: 1` (the page's script) with its live part alone
// (docs/dashboard.md#live-updates).
#include <functional>

#include "http/auth.hpp"
#include "http/router.hpp"

namespace maintd::service {
class Service;
}

namespace maintd::http::dashboard {

// `guarded` wraps each route as register_dashboard wraps its own (state database failures
// answered with a page).
void register_dashboard_pages(
    Router& router, service::Service& service, const Auth& auth,
    const std::function<Handler(std::function<Response(Request&)>)>& guarded);

}  // namespace maintd::http::dashboard
