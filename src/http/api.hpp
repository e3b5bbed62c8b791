#pragma once
// The admin API's routes (docs/api.md), registered on a router: tasks, runs, health, metrics.
#include "http/auth.hpp"
#include "http/router.hpp"

namespace maintd::scheduler {
class Daemon;
}

namespace maintd::http {

// Every /api/v1 route, /healthz, /readyz and /metrics (open when auth.metrics_public()).
void register_api(Router& router, scheduler::Daemon& daemon, const Auth& auth);

// One family each (api_tasks.cpp, api_runs.cpp, api_health.cpp).
void register_task_routes(Router& router, scheduler::Daemon& daemon);
void register_run_routes(Router& router, scheduler::Daemon& daemon);
void register_health_routes(Router& router, scheduler::Daemon& daemon, const Auth& auth);

}  // namespace maintd::http
