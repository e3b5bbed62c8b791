#include "handlers/health.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "handlers/health_metrics.hpp"
#include "handlers/health_probe_rules.hpp"
#include "handlers/health_probes.hpp"
#include "handlers/support/config_keys.hpp"
#include "handlers/support/target_sql.hpp"
#include "handlers/support/timestamps.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;
using Steady = std::chrono::steady_clock;

// The types whose dry runs count something stale (the cleanup handlers of the handlers issue).
// "domain.*" matches every action of a domain.
const std::vector<std::string> kDefaultStaleTypes = {"claims.release_expired", "runs.cleanup_stale",
                                                     "drafts.mark_stale", "jobs.fail_orphaned"};

// Where a cleanup handler's dry-run result says how many rows it would change: the first of
// these keys that holds an integer (or an object with an integer "total"). Every built-in
// cleanup handler says it in `would_change`: a count of what is stale may include rows the
// handler leaves alone (runs.cleanup_stale's `stale` counts resumable runs), and those are no
// work and no alert. The other keys are read for handlers that do not say it.
constexpr std::array<std::string_view, 5> kCountKeys = {"would_change", "stale", "expired",
                                                        "orphaned", "total_stale"};
// Stale rows a handler says it leaves alone, reported apart (runs.cleanup_stale's resumable
// runs: progress or a checkpoint).
constexpr std::string_view kLeftAloneKey = "resumable";

double milliseconds_since(Steady::time_point start) {
  const std::chrono::duration<double, std::milli> took = Steady::now() - start;
  return std::round(took.count() * 10.0) / 10.0;
}

struct Probe {
  json report;
  std::unique_ptr<soci::session> session;  // kept for the queries that follow, when reachable
};

// Connects, then one round trip: both timed; with `include_metrics`, the database's facts.
Probe probe(const std::string& name, const std::function<std::unique_ptr<soci::session>()>& open,
            bool include_metrics) {
  Probe probe;
  probe.report = {{"name", name}};
  try {
    const auto start = Steady::now();
    probe.session = open();
    probe.report["connect_ms"] = milliseconds_since(start);
    const auto query = Steady::now();
    TargetSql sql(*probe.session);
    sql.count("SELECT 1");
    probe.report["latency_ms"] = milliseconds_since(query);
    probe.report["backend"] = sql.dialect() == Dialect::postgresql ? "postgresql" : "sqlite";
    probe.report["reachable"] = true;
    if (include_metrics) probe.report["metrics"] = database_metrics(*probe.session);
  } catch (const std::exception& e) {
    probe.session.reset();
    probe.report["reachable"] = false;
    probe.report["error"] = database_error_text(e);
  }
  return probe;
}

// Failed, timed-out and abandoned runs of other tasks in the window. A run counts when its last
// sign of life (finished, else its last heartbeat: abandoned runs never finish) is in the
// window. The health task's own runs are left out: a red report would otherwise keep the next
// ones red for a whole window.
json recent_failures(soci::session& session, const std::string& since, const std::string& self) {
  TargetSql sql(session);
  const std::string at = "COALESCE(finished_at, heartbeat_at, started_at, created_at)";
  const std::string where = fmt::format(
      "status IN ('failed', 'timed_out', 'abandoned') AND {} >= :since AND task_name <> :self", at);
  SqlParams params;
  params.text("since", since).text("self", self);

  json report = {{"failed", 0}, {"timed_out", 0}, {"abandoned", 0}};
  json by_task = json::object();
  for (const auto& row :
       sql.rows(fmt::format("SELECT status, task_name, COUNT(*) FROM maintd_runs WHERE {} GROUP BY "
                            "status, task_name ORDER BY task_name, status",
                            where),
                params)) {
    const long long n = std::stoll(row[2]);
    report[row[0]] = report[row[0]].get<long long>() + n;
    by_task[row[1]][row[0]] = n;
  }
  report["by_task"] = std::move(by_task);

  json recent = json::array();
  for (const auto& row : sql.rows(
           fmt::format("SELECT id, task_name, status, {} AS at, error FROM maintd_runs WHERE {} "
                       "ORDER BY at DESC, id DESC LIMIT 10",
                       at, where),
           params)) {
    recent.push_back({{"run", std::stoll(row[0])},
                      {"task", row[1]},
                      {"status", row[2]},
                      {"at", row[3]},
                      {"error", row[4].substr(0, 200)}});
  }
  report["recent"] = std::move(recent);
  return report;
}

bool matches(const std::vector<std::string>& patterns, const std::string& type) {
  for (const auto& pattern : patterns) {
    if (pattern == type) return true;
    if (pattern.ends_with(".*") && type.starts_with(pattern.substr(0, pattern.size() - 1))) {
      return true;
    }
  }
  return false;
}

std::optional<long long> stale_count(const json& result) {
  if (!result.is_object()) return std::nullopt;
  for (const auto key : kCountKeys) {
    const auto it = result.find(std::string(key));
    if (it == result.end()) continue;
    if (it->is_number_integer()) return it->get<long long>();
    if (it->is_object() && it->contains("total") && (*it)["total"].is_number_integer()) {
      return (*it)["total"].get<long long>();
    }
  }
  return std::nullopt;
}

std::optional<long long> left_alone_count(const json& result) {
  if (!result.is_object()) return std::nullopt;
  const auto it = result.find(std::string(kLeftAloneKey));
  if (it == result.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<long long>();
}

// What the cleanup tasks' dry runs said, summed.
struct StaleTotals {
  long long would_change = 0;
  long long resumable = 0;
};

// Each enabled cleanup task, dry-run with its own config: what it would change now is what is
// stale now; what it would leave alone (resumable) is counted apart. A peer that fails is
// reported, not fatal: its own runs fail and show up above.
json peer_dry_runs(registry::HandlerContext& context, const std::vector<std::string>& types,
                   StaleTotals& totals, std::vector<std::string>& warnings) {
  json peers = json::array();
  for (const auto& peer : context.peer_tasks()) {
    if (!peer.enabled || peer.handler == nullptr || peer.name == context.task_name) continue;
    if (!matches(types, peer.type)) continue;
    if (context.stop_requested()) break;
    registry::HandlerContext dry = context;
    dry.task_name = peer.name;
    dry.type = peer.type;
    dry.config = peer.handler->schema.with_defaults(peer.config);
    dry.dry_run = true;
    dry.on_progress = nullptr;  // the health run's progress is not the peer's
    dry.peers = nullptr;        // no health report of a health report
    const auto parent = context.on_event;
    const std::string prefix = fmt::format("{}: ", peer.name);
    dry.on_event = [parent, prefix](registry::EventLevel level, std::string_view event,
                                    std::string_view message) {
      if (parent) parent(level, event, prefix + std::string(message));
    };
    json entry = {{"task", peer.name}, {"type", peer.type}};
    try {
      const auto result = peer.handler->run(dry);
      const auto count = stale_count(result);
      entry["stale"] = count ? json(*count) : json(nullptr);
      if (count) {
        totals.would_change += *count;
      } else {
        entry["note"] =
            "its dry-run result has no count ('would_change', 'stale', 'expired', 'orphaned')";
      }
      if (const auto resumable = left_alone_count(result)) {
        entry["resumable"] = *resumable;
        totals.resumable += *resumable;
      }
      if (result.is_object() && result.contains("message")) entry["message"] = result["message"];
    } catch (const std::exception& e) {
      entry["error"] = database_error_text(e);
      warnings.push_back(
          fmt::format("dry run of '{}' failed: {}", peer.name, database_error_text(e)));
      context.warning("peer", warnings.back());
    }
    peers.push_back(std::move(entry));
  }
  return peers;
}

json run_health(registry::HandlerContext& context) {
  const auto& config = context.config;
  const auto window = parse_duration(config.value("window", std::string("24h"))).value();
  const bool fail_on_unreachable = config.value("fail_on_unreachable", true);
  const bool include_metrics = config.value("include_metrics", false);
  const auto max_latency = optional_integer(config, "max_latency_ms");
  // Alerts fail the run; warnings leave it green and the report's status "warn".
  std::vector<std::string> alerts;
  std::vector<std::string> warnings;

  // Databases: the state database first, then the listed targets.
  auto state = probe(
      "state", [&] { return context.state_database(); }, include_metrics);
  json databases = json::array();
  long long reachable = 0, checked = 0;
  const auto check = [&](const json& report, const std::string& label) {
    ++checked;
    if (!report["reachable"].get<bool>()) {
      const auto line =
          fmt::format("{} unreachable: {}", label, report["error"].get<std::string>());
      if (fail_on_unreachable) {
        alerts.push_back(line);
      } else {
        warnings.push_back(line);
        context.warning("unreachable", line);
      }
      return;
    }
    ++reachable;
    const auto latency = report["latency_ms"].get<double>();
    if (max_latency && latency > static_cast<double>(*max_latency)) {
      alerts.push_back(fmt::format("{} answered in {} ms (max {})", label, latency, *max_latency));
    }
  };
  check(state.report, "the state database");
  for (const auto& name : config.value("databases", std::vector<std::string>{"app"})) {
    if (context.stop_requested()) break;
    auto target = probe(
        name, [&] { return context.database(name); }, include_metrics);
    check(target.report, fmt::format("database '{}'", name));
    databases.push_back(std::move(target.report));
  }

  // The probes: services beyond the databases, and numbers such as a queue's depth.
  const auto& probe_list =
      config.contains("probes") && config["probes"].is_array() ? config["probes"] : json::array();
  auto probes = run_probes(context, probe_list, include_metrics);
  alerts.insert(alerts.end(), probes.alerts.begin(), probes.alerts.end());
  for (const auto& warning : probes.warnings) context.warning("probe", warning);
  warnings.insert(warnings.end(), probes.warnings.begin(), probes.warnings.end());

  // Runs that went wrong lately.
  // maintd's state database writes fixed-width UTC text that sorts as text (utc_text), so a
  // window is a text comparison.
  const auto since_at = cutoff(run_now(context), window);
  json report = {{"window", format_duration(window)},
                 {"since", utc_text(since_at)},
                 {"state_database", state.report},
                 {"databases", std::move(databases)},
                 {"probes", std::move(probes.entries)}};
  std::optional<long long> failed, abandoned;
  if (state.session) {
    try {
      auto runs = recent_failures(*state.session, utc_text(since_at), context.task_name);
      failed = runs["failed"].get<long long>() + runs["timed_out"].get<long long>();
      abandoned = runs["abandoned"].get<long long>();
      if (include_metrics) {
        runs["metrics"] = run_metrics(*state.session, utc_text(since_at), context.task_name);
      }
      report["runs"] = std::move(runs);
    } catch (const std::exception& e) {
      report["runs"] = {{"error", database_error_text(e)}};
      alerts.push_back(fmt::format("cannot read the runs: {}", database_error_text(e)));
    }
  } else {
    report["runs"] = {{"error", "the state database is unreachable"}};
  }
  state.session.reset();

  // What the cleanup tasks would change now, and the stale rows they would leave alone.
  StaleTotals totals;
  if (config.value("peer_dry_runs", true) && !context.stop_requested()) {
    const auto types = config.value("stale_types", kDefaultStaleTypes);
    auto peers = peer_dry_runs(context, types, totals, warnings);
    report["stale"] = {{"total", totals.would_change},
                       {"resumable", totals.resumable},
                       {"peers", std::move(peers)}};
  }
  const long long stale = totals.would_change;
  const std::string left_alone =
      totals.resumable == 0 ? std::string()
                            : fmt::format("{} resumable rows left alone", totals.resumable);

  const auto over = [&](const char* key, std::optional<long long> value, std::string_view what,
                        const std::string& note = {}) {
    const auto limit = optional_integer(config, key);
    if (limit && value && *value > *limit) {
      alerts.push_back(
          fmt::format("{} {} (max {}{}{})", *value, what, *limit, note.empty() ? "" : "; ", note));
    }
  };
  const auto in_window = fmt::format("in the last {}", format_duration(window));
  over("max_failed_runs", failed, fmt::format("failed or timed-out runs {}", in_window));
  over("max_abandoned_runs", abandoned, fmt::format("abandoned runs {}", in_window));
  over("max_stale", stale, "stale rows the cleanup tasks would change", left_alone);
  const long long problems = failed.value_or(0) + abandoned.value_or(0) + stale;
  over(
      "alert_threshold", problems,
      fmt::format("problems (failed, timed-out and abandoned runs {}, and stale rows)", in_window));

  report["problems"] = problems;
  report["alerts"] = alerts;
  report["warnings"] = warnings;
  report["healthy"] = alerts.empty();
  report["status"] = !alerts.empty() ? "fail" : !warnings.empty() ? "warn" : "ok";
  if (context.stop_requested()) report["stopped_early"] = true;

  const auto probed = report["probes"].size();
  const auto summary = fmt::format(
      "{} of {} databases reachable; {}{} failed and {} abandoned runs {}; {} stale{}{}", reachable,
      checked, probed == 0 ? std::string() : fmt::format("{} of {} probes ok; ", probes.ok, probed),
      failed ? std::to_string(*failed) : "?", abandoned ? std::to_string(*abandoned) : "?",
      in_window, stale,
      totals.resumable == 0 ? std::string()
                            : fmt::format(" ({} resumable, left alone)", totals.resumable),
      warnings.empty()
          ? std::string()
          : fmt::format("; {} warning{}", warnings.size(), warnings.size() == 1 ? "" : "s"));
  if (alerts.empty()) {
    if (warnings.empty()) {
      context.info("healthy", summary);
    } else {
      context.warning("warn", summary);
    }
    return report;
  }
  // The run fails to show red, and a failed run keeps no result: the report goes to the events.
  for (const auto& alert : alerts) context.warning("alert", alert);
  context.info("report", json_text(report));
  throw std::runtime_error(fmt::format("health.report: {} alert{}: {}", alerts.size(),
                                       alerts.size() == 1 ? "" : "s", fmt::join(alerts, "; ")));
}

// `probes`: a list of maps whose rules are health_probe_rules.hpp's.
KeySpec probes_key() {
  auto spec = optional_key(
      "probes", ValueType::map_list,
      "checks beyond the databases, each with a name and a kind: sql (one number from a "
      "database, with warn_/fail_above and _below thresholds), tcp (a port that answers; "
      "redis_ping: PING) or http (a URL that answers an expected status) (unset: none)",
      json::array());
  spec.check_items = check_probes;
  return spec;
}

}  // namespace

void register_health_handlers(registry::Registry& registry) {
  registry.add_handler({
      "health.report",
      "Reports database connectivity and latency, recent failed and abandoned runs and stale "
      "counts from the cleanup tasks' dry runs; fails when a threshold is exceeded",
      registry::ConfigSchema({
          KeySpec{"databases",
                  ValueType::string_list,
                  "the target databases to check, by their names under 'databases:' (the state "
                  "database is always checked)",
                  false,
                  json::array({"app"}),
                  {},
                  {},
                  {}},
          KeySpec{"window",
                  ValueType::duration,
                  "how far back failed and abandoned runs are counted",
                  false,
                  "24h",
                  60,
                  90 * 86400,
                  {}},
          KeySpec{"peer_dry_runs",
                  ValueType::boolean,
                  "dry-run the enabled cleanup tasks to count what is stale",
                  false,
                  true,
                  {},
                  {},
                  {}},
          KeySpec{"stale_types",
                  ValueType::string_list,
                  "the task types dry-run for stale counts ('domain.*' matches a whole domain)",
                  false,
                  kDefaultStaleTypes,
                  {},
                  {},
                  {}},
          KeySpec{"include_metrics",
                  ValueType::boolean,
                  "add each database's server version, size and connections, each probe's "
                  "timings, and every run status's count and completed runs' durations in the "
                  "window",
                  false,
                  false,
                  {},
                  {},
                  {}},
          probes_key(),
          KeySpec{"fail_on_unreachable",
                  ValueType::boolean,
                  "an unreachable database fails the run",
                  false,
                  true,
                  {},
                  {},
                  {}},
          optional_key(
              "max_latency_ms", ValueType::integer,
              "fail when a database's round trip (SELECT 1) takes longer (unset: no limit)",
              nullptr, 0),
          optional_key("max_failed_runs", ValueType::integer,
                       "fail when more runs failed or timed out in the window (unset: no limit)",
                       nullptr, 0),
          optional_key("max_abandoned_runs", ValueType::integer,
                       "fail when more runs were abandoned in the window (unset: no limit)",
                       nullptr, 0),
          optional_key("max_stale", ValueType::integer,
                       "fail when the cleanup tasks would change more rows (unset: no limit)",
                       nullptr, 0),
          optional_key(
              "alert_threshold", ValueType::integer,
              "fail when failed + timed-out + abandoned runs + stale rows exceed this (unset: "
              "no limit)",
              nullptr, 0),
      }),
      run_health,
      /*check_database=*/{},
      // A report that fails keeps no result: its run's error says why (the alerts).
      registry::Headline{
          .key = "problems",
          .label = "problems",
          .words = {{"status", "{}"}, {"problems", "{} problem", "{} problems"}},
          .none = "",
          .dry_run_words = {{"status", "{}"}, {"problems", "{} problem", "{} problems"}},
          .dry_run_key = "problems"},
  });
}

}  // namespace maintd::handlers
