// /healthz (the process answers), /readyz (it has started, its loop turns and its state database
// answers reads and writes, as far as the daemon's last calls found), /metrics.
//
// The probes are asked by callers that carry no token (systemd, Kubernetes, load balancers), so
// they need none unless http.probes_public is false, and their answers say nothing an anonymous
// caller should learn: a status word and a fixed sentence, never a task name, a database or a
// path (the reason goes to the log). They never wait on the state database: their answer is
// judged from what the daemon keeps up to date (scheduler/readiness.hpp), so they answer at
// once, also while the database does not.
#include <spdlog/spdlog.h>

#include "http/api.hpp"
#include "service/service.hpp"

namespace maintd::http {
namespace {

using scheduler::DaemonPhase;
using service::Service;

// A fixed sentence per status word (Readiness::status): the reason itself names the database.
std::string public_reason(const std::string& status) {
  if (status == "stopping") return "maintd is stopping";
  if (status == "unwritable") return "the state database refuses writes";
  if (status == "stalled") return "the scheduling loop is not turning";
  return "the state database is not reachable";
}

Response ready(const Service& service, DaemonPhase phase) {
  switch (phase) {
    case DaemonPhase::starting:
      return retry_later_response("starting", "maintd is starting: its tasks are not loaded yet");
    case DaemonPhase::stopping:
      return retry_later_response("stopping", "maintd is stopping");
    case DaemonPhase::running:
      break;
  }
  const scheduler::Readiness readiness = service.readiness();
  if (!readiness.ready) {
    // Debug only: a probe asks every few seconds, and the daemon logs its own failures to reach
    // the database as warnings and errors already.
    spdlog::debug("/readyz: {}", readiness.reason);
    return retry_later_response(readiness.status, public_reason(readiness.status));
  }
  return json_response(200, {{"status", "ready"}});
}

}  // namespace

void register_health_routes(Router& router, Service& service, const Auth& auth,
                            const PhaseSource& phase) {
  const Access probes = auth.probes_public() ? Access::open : Access::read;
  router.add(
      Method::get, "/healthz",
      [](Request&) {
        return json_response(200, {{"status", "ok"}});
      },
      probes, RouteKind::probe);
  router.add(
      Method::get, "/readyz", [&service, phase](Request&) { return ready(service, phase()); },
      probes, RouteKind::probe);
  router.add(
      Method::get, "/metrics",
      [&service](Request&) {
        return text_response(200, service.metrics_text(),
                             "text/plain; version=0.0.4; charset=utf-8");
      },
      auth.metrics_public() ? Access::open : Access::read);
}

void register_api(Router& router, Service& service, const Auth& auth, const PhaseSource& phase) {
  register_health_routes(router, service, auth, phase);
  register_task_routes(router, service);
  register_run_routes(router, service);
  register_pause_routes(router, service);
}

}  // namespace maintd::http
