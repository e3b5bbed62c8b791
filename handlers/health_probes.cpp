#include "handlers/health_probes.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "handlers/health_probe_rules.hpp"
#include "handlers/health_scalar.hpp"
#include "handlers/health_tcp.hpp"
#include "handlers/support/http_config.hpp"
#include "outbound/client.hpp"
#include "outbound/url.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;

// One probe's outcome: its entry in the result, and how it reads in the report's lists.
struct Outcome {
  json entry;
  ProbeStatus status = ProbeStatus::ok;
  std::string reason;
};

// A value as a reason writes it: integers without a decimal point.
std::string value_text(const json& value) {
  return value.is_number_float() ? fmt::format("{}", value.get<double>()) : value.dump();
}

Outcome run_sql(const registry::HandlerContext& context, const json& probe, bool include_metrics) {
  const auto database = probe.at("database").get<std::string>();
  Outcome outcome;
  outcome.entry["database"] = database;
  const auto reading =
      read_scalar([&] { return context.database(database); }, probe.at("query").get<std::string>());
  if (include_metrics) {
    outcome.entry["metrics"] = {{"connect_ms", reading.connect_ms}, {"query_ms", reading.query_ms}};
  }
  outcome.entry["value"] = reading.value;
  if (!reading.ok()) {
    outcome.entry["error"] = reading.error;
    outcome.status = ProbeStatus::fail;
    outcome.reason = reading.reason;
    return outcome;
  }
  const auto shown = value_text(reading.value);
  const auto thresholds = Thresholds::of(probe);
  auto verdict = thresholds.judge(reading.value.get<double>(), shown);
  outcome.status = verdict.status;
  outcome.reason = verdict.status != ProbeStatus::ok ? std::move(verdict.reason)
                   : thresholds.any()                ? shown + " is within the thresholds"
                                                     : shown + " (no thresholds)";
  return outcome;
}

Outcome run_tcp(const registry::HandlerContext& context, const json& probe, bool include_metrics) {
  TcpCheck check;
  check.host = probe.at("host").get<std::string>();
  check.port = static_cast<std::uint16_t>(probe.at("port").get<int>());
  check.timeout = probe_timeout(probe);
  check.redis_ping = probe.value("redis_ping", false);
  check.redis_password = probe.value("redis_password", std::string());
  const auto result = check_tcp(check, context.cancelled);

  Outcome outcome;
  outcome.entry["host"] = check.host;
  outcome.entry["port"] = check.port;
  if (include_metrics) {
    json metrics = {{"connect_ms", result.connect_ms}};
    if (!result.address.empty()) metrics["address"] = result.address;
    if (!check.redis_password.empty()) metrics["auth_ms"] = result.auth_ms;
    if (check.redis_ping) metrics["ping_ms"] = result.ping_ms;
    outcome.entry["metrics"] = std::move(metrics);
  }
  if (!result.ok()) {
    outcome.entry["latency_ms"] = nullptr;
    outcome.entry["error"] = std::string(to_string(result.error));
    outcome.status = ProbeStatus::fail;
    outcome.reason = result.reason;
    return outcome;
  }
  outcome.entry["latency_ms"] = result.total_ms;
  auto verdict =
      Thresholds::of(probe).judge(result.total_ms, fmt::format("{} ms", result.total_ms));
  outcome.status = verdict.status;
  outcome.reason = verdict.status == ProbeStatus::ok
                       ? result.reason
                       : fmt::format("{} ({})", verdict.reason, result.reason);
  return outcome;
}

Outcome run_http(const registry::HandlerContext& context, const json& probe, bool include_metrics) {
  outbound::Request request;
  request.url = probe.at("url").get<std::string>();
  request.secret_query_params = secret_query_params(probe);
  outbound::Settings settings;
  settings.timeout = probe_timeout(probe);
  settings.attempts = 1;  // a probe reports what it finds; the next run looks again
  if (const auto it = probe.find("expect_status"); it != probe.end() && it->is_array()) {
    settings.expect_status = it->get<std::vector<long>>();
  }
  settings.ca_file = probe.value("ca_file", std::string());
  settings.max_response_bytes = 1024;  // the status and the time are what a probe reports
  outbound::Control control;
  control.stop = context.cancelled;
  const auto start = std::chrono::steady_clock::now();
  const auto response = outbound::perform(request, settings, control);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  const double total_ms = std::round(took.count() * 10.0) / 10.0;

  Outcome outcome;
  const auto shown = outbound::mask_url(request.url, request.secret_query_params);
  outcome.entry["url"] = shown;
  if (!response) {
    const auto& failure = response.error();
    outcome.entry["latency_ms"] = nullptr;
    outcome.entry["error"] = std::string(to_string(failure.kind));
    outcome.status = ProbeStatus::fail;
    outcome.reason = failure_text(failure, false);
    return outcome;
  }
  if (include_metrics) {
    outcome.entry["metrics"] = {{"redirects", response->redirects},
                                {"bytes", response->body.size()},
                                {"content_type", response->content_type}};
  }
  outcome.entry["http_status"] = response->status;
  outcome.entry["latency_ms"] = total_ms;
  if (!response->expected) {
    outcome.entry["error"] = "status";
    outcome.status = ProbeStatus::fail;
    outcome.reason = fmt::format("{} answered {}, expected {}", shown, response->status_text(),
                                 expected_statuses(settings.expect_status));
    return outcome;
  }
  const auto answered =
      fmt::format("{} answered {} in {} ms", shown, response->status_text(), total_ms);
  auto verdict = Thresholds::of(probe).judge(total_ms, fmt::format("{} ms", total_ms));
  outcome.status = verdict.status;
  outcome.reason = verdict.status == ProbeStatus::ok
                       ? answered
                       : fmt::format("{} ({})", verdict.reason, answered);
  return outcome;
}

}  // namespace

ProbeReport run_probes(const registry::HandlerContext& context, const json& probes,
                       bool include_metrics) {
  ProbeReport report;
  for (const auto& probe : probes) {
    if (context.stop_requested()) break;
    const auto name = probe.at("name").get<std::string>();
    const auto kind = probe.at("kind").get<std::string>();
    auto outcome = kind == "sql"   ? run_sql(context, probe, include_metrics)
                   : kind == "tcp" ? run_tcp(context, probe, include_metrics)
                                   : run_http(context, probe, include_metrics);
    json entry = {{"name", name}, {"kind", kind}};
    entry.update(outcome.entry);
    entry["status"] = to_string(outcome.status);
    entry["reason"] = outcome.reason;
    report.entries.push_back(std::move(entry));

    const auto line = fmt::format("probe '{}': {}", name, outcome.reason);
    switch (outcome.status) {
      case ProbeStatus::ok:
        ++report.ok;
        break;
      case ProbeStatus::warn:
        report.warnings.push_back(line);
        break;
      case ProbeStatus::fail:
        report.alerts.push_back(line);
        break;
    }
  }
  return report;
}

}  // namespace maintd::handlers
