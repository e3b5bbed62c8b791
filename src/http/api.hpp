#pragma once
// The admin API's routes (docs/api.md), registered on a router: tasks, runs, health, metrics.
// Every route calls the service (src/service/service.hpp), never the store or the daemon's
// state database directly.
#include <functional>

#include "http/auth.hpp"
#include "http/router.hpp"

namespace maintd::scheduler {
enum class DaemonPhase;
}  // namespace maintd::scheduler

namespace maintd::service {
class Service;
}  // namespace maintd::service

namespace maintd::http {

// Where the daemon is in its life (Daemon::phase, or the test's word: ServerOptions::phase).
using PhaseSource = std::function<scheduler::DaemonPhase()>;

// Every /api/v1 route, /healthz and /readyz (open when auth.probes_public()), and /metrics
// (open when auth.metrics_public()).
void register_api(Router& router, service::Service& service, const Auth& auth,
                  const PhaseSource& phase);

// One family each (api_tasks.cpp, api_runs.cpp, api_health.cpp, api_pause.cpp).
void register_task_routes(Router& router, service::Service& service);
void register_run_routes(Router& router, service::Service& service);
void register_pause_routes(Router& router, service::Service& service);  // api_pause.cpp
void register_health_routes(Router& router, service::Service& service, const Auth& auth,
                            const PhaseSource& phase);

}  // namespace maintd::http
