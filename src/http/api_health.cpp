// /healthz (the process answers), /readyz (and its state database does, as far as the last
// calls on it found), /metrics.
#include "http/api.hpp"
#include "scheduler/daemon.hpp"

namespace maintd::http {
namespace {

using scheduler::Daemon;

// From what the daemon keeps up to date (scheduler/readiness.hpp), without a call on the state
// database: the probe answers at once, also while the database does not.
Response ready(const Daemon& daemon) {
  const scheduler::Readiness readiness = daemon.readiness();
  // The reason names the database without its password.
  if (!readiness.ready) return error_response(503, readiness.reason);
  return json_response(200, {{"status", "ready"}});
}

}  // namespace

void register_health_routes(Router& router, Daemon& daemon, const Auth& auth) {
  router.add(
      Method::get, "/healthz",
      [](Request&) {
        return json_response(200, {{"status", "ok"}});
      },
      Access::open, Waits::never);
  router.add(
      Method::get, "/readyz", [&daemon](Request&) { return ready(daemon); }, Access::read,
      Waits::never);
  router.add(
      Method::get, "/metrics",
      [&daemon](Request&) {
        return text_response(200, daemon.metrics().render(daemon.scrape()),
                             "text/plain; version=0.0.4; charset=utf-8");
      },
      auth.metrics_public() ? Access::open : Access::read);
}

void register_api(Router& router, Daemon& daemon, const Auth& auth) {
  register_health_routes(router, daemon, auth);
  register_task_routes(router, daemon);
  register_run_routes(router, daemon);
}

}  // namespace maintd::http
