#pragma once
// health.report's `probes:`: checks beyond its databases, each with a name and a kind.
//
//   sql  one number read from a target database (a queue's depth), held to thresholds
//   tcp  a TCP connection to a service, and for Redis an answer to PING (health_tcp.hpp)
//   http an HTTP(S) endpoint that answers an expected status in time (the outbound client)
//
// What each key means and what a probe reports is in docs/handlers/health.md; the rules of the
// config are in health_probe_rules.hpp.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "registry/handler.hpp"

namespace maintd::handlers {

struct ProbeReport {
  nlohmann::json entries = nlohmann::json::array();  // one per probe run, in order
  std::vector<std::string> alerts;                   // probes that failed, one line each
  std::vector<std::string> warnings;                 // probes past a warn_ threshold
  int ok = 0;
};

// Runs each probe of a checked `probes` list in order, until the run is stopped. With
// `include_metrics`, each entry gets its timings (a tcp probe the address it reached, an http
// probe its redirects and bytes).
ProbeReport run_probes(const registry::HandlerContext& context, const nlohmann::json& probes,
                       bool include_metrics);

}  // namespace maintd::handlers
