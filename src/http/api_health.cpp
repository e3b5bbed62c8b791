// /healthz (the process answers), /readyz (it has started and its state database answers),
// /metrics.
//
// The probes are asked by callers that carry no token (systemd, Kubernetes, load balancers), so
// they need none unless http.probes_public is false, and their answers say nothing an anonymous
// caller should learn: a status word and a fixed sentence, never a task name, a database or a
// path (the reason a state database is unreachable goes to the log).
#include <spdlog/spdlog.h>

#include "http/api.hpp"
#include "scheduler/daemon.hpp"
#include "store/store_error.hpp"

namespace maintd::http {
namespace {

using scheduler::Daemon;
using scheduler::DaemonPhase;

Response ready(Daemon& daemon, DaemonPhase phase) {
  switch (phase) {
    case DaemonPhase::starting:
      return retry_later_response("starting", "maintd is starting: its tasks are not loaded yet");
    case DaemonPhase::stopping:
      return retry_later_response("stopping", "maintd is stopping");
    case DaemonPhase::running:
      break;
  }
  try {
    daemon.database().with_session("checking readiness", [](soci::session& sql) {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return one;
    });
  } catch (const store::StoreError& e) {
    // Debug only: a probe asks every few seconds, and the daemon logs its own failures to reach
    // the database as errors already.
    spdlog::debug("/readyz: {}", e.what());
    return retry_later_response("unavailable", "the state database is not reachable");
  }
  return json_response(200, {{"status", "ready"}});
}

}  // namespace

void register_health_routes(Router& router, Daemon& daemon, const Auth& auth,
                            const PhaseSource& phase) {
  const Access probes = auth.probes_public() ? Access::open : Access::read;
  router.add(
      Method::get, "/healthz",
      [](Request&) {
        return json_response(200, {{"status", "ok"}});
      },
      probes, Availability::always);
  router.add(
      Method::get, "/readyz", [&daemon, phase](Request&) { return ready(daemon, phase()); }, probes,
      Availability::always);
  router.add(
      Method::get, "/metrics",
      [&daemon](Request&) {
        return text_response(200, daemon.metrics().render(daemon.scrape()),
                             "text/plain; version=0.0.4; charset=utf-8");
      },
      auth.metrics_public() ? Access::open : Access::read);
}

void register_api(Router& router, Daemon& daemon, const Auth& auth, const PhaseSource& phase) {
  register_health_routes(router, daemon, auth, phase);
  register_task_routes(router, daemon);
  register_run_routes(router, daemon);
}

}  // namespace maintd::http
