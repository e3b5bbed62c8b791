// runs.check_resume: the scraper guide's pre-scrape check. Before starting a portal, ask what to
// do about the runs it already has: start | resume | cleanup | wait, with the run concerned.
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "handlers/runs_common.hpp"

namespace maintd::handlers::runs {
namespace {

using nlohmann::json;
using registry::ValueType;

// How many of a portal's active runs are looked at: more than one is already unusual.
constexpr int kMaxActiveRuns = 100;

json run_check_resume(registry::HandlerContext& context) {
  const auto config = StaleConfig::from(context.config, true);
  const std::string portal = context.config.value("portal", "");
  if (portal.empty()) throw std::invalid_argument("runs.check_resume: set portal (--set portal=X)");
  const bool apply_cleanup = context.config.value("apply_cleanup", false);
  const auto now = run_now(context);

  const auto reader_session = context.database(config.database);
  TargetSql reader(*reader_session);
  SqlParams params;
  config.bind_times(reader, params, now);
  params.text("now", reader.timestamp_value(now)).text("portal", portal);
  // Newest first: the run a caller resumes or waits for is the latest one.
  const auto rows = reader.rows(
      fmt::format("SELECT {}, {}, {}, {}, CASE WHEN {} THEN 1 ELSE 0 END FROM {} WHERE {} = "
                  ":portal AND {}{} ORDER BY {} LIMIT {}",
                  reader.as_text(config.id_q) + " AS maintd_id",
                  reader.as_text(config.status_q) + " AS maintd_status",
                  reader.seconds_between(config.age_q, "now"), config.progressed_expression(),
                  config.stale_predicate(reader), config.table_q, config.key_column_q,
                  config.active_predicate(), config.user_where(),
                  reader.seconds_between(config.age_q, "now"), kMaxActiveRuns),
      params);

  std::vector<StaleRun> runs;
  std::vector<bool> stale;
  json listed = json::array();
  for (const auto& row : rows) {
    StaleRun run;
    run.id = row[0];
    run.status = row[1];
    run.age_seconds = row[2].empty() ? 0 : std::stod(row[2]);
    run.progressed = row[3] == "1";
    run.key = portal;
    find_checkpoint(config, run);
    const bool is_stale = row[4] == "1";
    listed.push_back({{"id", run.id},
                      {"status", run.status},
                      {"age_hours", std::round(run.age_seconds / 360.0) / 10.0},
                      {"stale", is_stale},
                      {"progress", run.progressed},
                      {"checkpoint", run.has_checkpoint}});
    runs.push_back(std::move(run));
    stale.push_back(is_stale);
  }

  // The decision table (docs/handlers/runs.md): a run still within its threshold may be
  // working right now, so it wins over everything; then a stale run that can be resumed; then
  // dead runs, which the caller cleans up before starting afresh.
  std::string action = "start";
  const StaleRun* chosen = nullptr;
  std::string reason = fmt::format("no active run for portal '{}'", portal);
  std::vector<const StaleRun*> dead;
  for (std::size_t i = 0; i < runs.size() && chosen == nullptr; ++i) {
    if (stale[i]) continue;
    chosen = &runs[i];
    action = "wait";
    const auto* state = config.state_of(runs[i].status);
    reason = fmt::format("run {} is '{}' for {}, within its {} threshold: it may still be working",
                         runs[i].id, runs[i].status, describe_age(runs[i].age_seconds),
                         state != nullptr ? state->threshold_text : "?");
  }
  for (std::size_t i = 0; i < runs.size() && chosen == nullptr; ++i) {
    if (!runs[i].resumable()) continue;
    chosen = &runs[i];
    action = "resume";
    reason = fmt::format("run {} is stale ('{}' for {}) but resumable: {}", runs[i].id,
                         runs[i].status, describe_age(runs[i].age_seconds),
                         runs[i].progressed
                             ? "it made progress"
                             : fmt::format("its checkpoint {} holds data", runs[i].checkpoint));
  }
  if (chosen == nullptr && !runs.empty()) {
    for (const auto& run : runs) dead.push_back(&run);
    chosen = dead.front();
    action = "cleanup";
    reason = dead_reason(config, *chosen) + ": clean it up, then start afresh";
  }

  json result = {
      {"action", action},      {"run_id", chosen != nullptr ? json(chosen->id) : json(nullptr)},
      {"portal", portal},      {"reason", reason},
      {"active_runs", listed}, {"dry_run", context.dry_run}};
  if (chosen != nullptr) {
    result["status"] = chosen->status;
    result["age_hours"] = std::round(chosen->age_seconds / 360.0) / 10.0;
  }

  // Optionally do the cleanup the answer asks for, with the same guarded UPDATE as
  // runs.cleanup_stale: a run that finished or progressed since it was read is left alone.
  if (action == "cleanup" && apply_cleanup) {
    json cleaned = json::array();
    json changed = json::array();
    if (!context.dry_run) {
      const auto writer_session = context.database(config.database);
      TargetSql writer(*writer_session);
      for (const auto* run : dead) {
        const auto message = dead_reason(config, *run);
        if (fail_run(writer, config, *run, message, now, {}, std::nullopt)) {
          cleaned.push_back(run->id);
          context.info("failed", fmt::format("run {}: {}", run->id, message));
        } else {
          changed.push_back(run->id);
        }
      }
    }
    result["cleaned"] = cleaned;
    result["changed_meanwhile"] = changed;
    // Every dead run is marked: the caller can start afresh. Something changed meanwhile (a
    // run finished or moved on): it should ask again rather than start beside it.
    result["cleaned_up"] = !context.dry_run && changed.empty();
  }
  context.info("decision",
               fmt::format("portal '{}': {} ({})", portal, result["action"].get<std::string>(),
                           result["reason"].get<std::string>()));
  return result;
}

}  // namespace

registry::HandlerInfo check_resume_handler() {
  auto keys = stale_keys();
  keys.push_back(key("portal", ValueType::string,
                     "the portal (key_column's value) about to be scraped: --set portal=X"));
  keys.back().required = true;
  keys.push_back(key("apply_cleanup", ValueType::boolean,
                     "when the answer is cleanup, mark the dead runs failed now (guarded like "
                     "runs.cleanup_stale); the result's cleaned_up says the caller may start",
                     false));
  return {
      "runs.check_resume",
      "Pre-scrape check for one portal: start, resume, cleanup or wait, with the run id",
      registry::ConfigSchema(std::move(keys)),
      run_check_resume,
      [](const json& config, const registry::HandlerContext::SessionFactory& sessions) {
        return check_stale_columns(config, sessions, true, {});
      },
      // Its answer is a word (start, wait, resume, cleanup); the count is the dead runs it marked
      // failed (apply_cleanup).
      registry::Headline{.key = "cleaned",
                         .label = "runs cleaned up",
                         .words = {{"action", "answered {}"},
                                   {"cleaned", "cleaned up {} run", "cleaned up {} runs"}},
                         .none = "",
                         .dry_run_words = {{"action", "answered {}"}},
                         .dry_run_key = "cleaned"},
  };
}

}  // namespace maintd::handlers::runs
