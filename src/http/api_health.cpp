// /healthz (the process answers), /readyz (and its state database does), /metrics.
#include <spdlog/spdlog.h>

#include "http/api.hpp"
#include "scheduler/daemon.hpp"
#include "store/store_error.hpp"

namespace maintd::http {
namespace {

using scheduler::Daemon;

Response ready(Daemon& daemon) {
  try {
    daemon.database().with_session("checking readiness", [](soci::session& sql) {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return one;
    });
  } catch (const store::StoreError& e) {
    // The message names the database without its password (store_error.hpp).
    return error_response(503, std::string("the state database is not reachable: ") + e.what());
  }
  return json_response(200, {{"status", "ready"}});
}

}  // namespace

void register_health_routes(Router& router, Daemon& daemon, const Auth& auth) {
  router.add(
      Method::get, "/healthz",
      [](Request&) {
        return json_response(200, {{"status", "ok"}});
      },
      Access::open);
  router.add(
      Method::get, "/readyz", [&daemon](Request&) { return ready(daemon); }, Access::read);
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
