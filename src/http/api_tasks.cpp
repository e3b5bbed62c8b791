// /api/v1/scheduled-tasks: list, show, edit (PATCH, db tasks only), enable, disable, run now.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"
#include "config/redact.hpp"
#include "http/api.hpp"
#include "http/input.hpp"
#include "http/json_views.hpp"
#include "http/task_list_cache.hpp"
#include "scheduler/daemon.hpp"
#include "store/task_edit.hpp"
#include "store/task_store.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;
using scheduler::Daemon;

// How many upcoming slots a task's page shows.
constexpr int kNextSlots = 5;

Response no_such_task(Daemon& daemon, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& task : *daemon.current_tasks()) names.push_back(task.name);
  return error_response(404, fmt::format("no task named '{}'{}", name, did_you_mean(name, names)));
}

// The list's entry: the CLI's fields, the planner's next fire time, the last run and whether the
// task is past its expect_success_within.
json task_entry(Daemon& daemon, const config::Task& task, const json& last_run, bool overdue) {
  json out = task_to_json(task, task.enabled ? daemon.next_fire(task.name) : std::nullopt);
  out["last_run"] = last_run;
  out["overdue"] = overdue;
  return out;
}

// The list, assembled as text from each task's cached JSON (task_list_cache.hpp) and the members
// that change between requests.
Response list_tasks(Daemon& daemon, TaskListCache& cache, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const auto tasks = daemon.current_tasks();
  const auto fragments = cache.fragments(tasks);
  const auto latest = daemon.runs().latest_runs();  // one query for every task
  std::set<std::string> overdue;
  for (const auto& task : daemon.overdue()) overdue.insert(task.task);
  auto dump = [](const json& value) { return json_text(value); };
  Response response;
  std::string& body = response.body;
  std::size_t size = 64;
  for (const auto& fragment : *fragments) size += fragment.size() + 128;
  body.reserve(size);
  body += "{\"tasks\":[";
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    const config::Task& task = (*tasks)[i];
    if (i > 0) body += ',';
    body += (*fragments)[i];
    const auto next = task.enabled ? daemon.next_fire(task.name) : std::nullopt;
    body += ",\"next\":";
    body += next ? slot_text(*next, task) : "null";
    const auto run = latest.find(task.name);
    body += ",\"last_run\":";
    body += run == latest.end() ? "null" : dump(run_to_json(run->second));
    body += ",\"overdue\":";
    body += overdue.contains(task.name) ? "true}" : "false}";
  }
  body += "]}\n";
  return response;
}

Response show_task(Daemon& daemon, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const std::string& name = request.param("name");
  const auto tasks = daemon.current_tasks();
  const config::Task* task = tasks->find(name);
  if (task == nullptr) {
    // Not loaded: a row added since the last poll, or one that does not validate (which a
    // PATCH may fix, so it is shown with its errors).
    auto row = store::read_task_row(daemon.database(), name);
    if (!row || !row->from_db()) return no_such_task(daemon, name);
    config::Diagnostics problems;
    const auto config = daemon.current_config();
    auto loaded = store::task_from_row(*row, *config, problems);
    if (!loaded) {
      json errors = json::array();
      for (const auto& error : problems.errors()) errors.push_back(error.to_string());
      return json_response(200, {{"task",
                                  {{"name", name},
                                   {"origin", row->origin},
                                   {"valid", false},
                                   {"errors", std::move(errors)}}}});
    }
    json out = task_to_json(
        *loaded, loaded->enabled ? loaded->slots.next(std::chrono::floor<std::chrono::seconds>(
                                       std::chrono::system_clock::now()))
                                 : std::nullopt);
    out["valid"] = true;
    out["loaded"] = false;
    return json_response(200, {{"task", std::move(out)}});
  }
  const auto latest = daemon.runs().latest_runs();
  const auto run = latest.find(name);
  const auto successes = daemon.runs().last_successes();
  const auto success = successes.find(name);
  bool overdue = false;
  for (const auto& o : daemon.overdue()) overdue = overdue || o.task == name;

  json out =
      task_entry(daemon, *task, run == latest.end() ? json() : run_to_json(run->second), overdue);
  out["valid"] = true;
  out["loaded"] = true;
  out["expect_success_within"] = task->policies.expect_success_within
                                     ? json(format_duration(*task->policies.expect_success_within))
                                     : json();
  out["last_success"] =
      success == successes.end() ? json() : json(store::format_timestamp(success->second));
  // The schedule's own slots (without jitter), from now: what the cron expression says.
  json slots = json::array();
  if (task->enabled) {
    Instant from = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (int i = 0; i < kNextSlots; ++i) {
      const auto next = task->slots.next(from);
      if (!next) break;
      slots.push_back(slot_json(*next, *task));
      from = *next;
    }
  }
  out["next_slots"] = std::move(slots);
  return json_response(200, {{"task", std::move(out)}});
}

json change_json(const store::FieldChange& change) {
  // A config may hold a secret: its values are shown masked, like everywhere else.
  const bool config = change.column == "config";
  return {{"column", change.column},
          {"before", config ? config::redact(change.before) : change.before},
          {"after", config ? config::redact(change.after) : change.after}};
}

// PATCH: a JSON merge patch (RFC 7396) over the task's definition as a schedule-file entry,
// validated and written exactly as `maintd task edit` does (store/task_edit.hpp).
Response patch_task(Daemon& daemon, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const std::string& name = request.param("name");
  auto patch = parse_json_body(request, json());
  if (!patch) return patch.error();
  if (!patch.value().is_object()) {
    return error_response(400,
                          fmt::format("the body must be a JSON merge patch (an object), got {}",
                                      patch.value().type_name()));
  }
  if (const auto it = patch.value().find("name"); it != patch.value().end() && *it != json(name)) {
    return error_response(400, "a task's name cannot be changed", {{"field", "name"}});
  }
  const auto config = daemon.current_config();
  auto row = store::find_editable_row(daemon.database(), *config, name);
  if (!row) {
    const store::EditRefusal& refusal = row.error();
    switch (refusal.reason) {
      case store::EditRefusal::Reason::file_task: {
        const std::string where =
            fmt::format("{}:{}", refusal.defined_at.file, refusal.defined_at.line);
        return error_response(
            409, fmt::format("task '{}' is defined in {} \u2014 edit the file", name, where),
            {{"defined_at", where}});
      }
      case store::EditRefusal::Reason::unknown:
        return no_such_task(daemon, name);
      case store::EditRefusal::Reason::not_db:
        return error_response(409, fmt::format("the row of task '{}' has origin '{}': only rows of "
                                               "origin db are edited",
                                               name, refusal.origin));
    }
  }
  json entry = store::entry_from_row(row.value());
  entry.merge_patch(patch.value());
  entry["name"] = name;
  const bool sets_enabled =
      patch.value().contains("enabled") && !patch.value()["enabled"].is_null();
  const store::EditOutcome outcome = store::apply_task_edit(
      daemon.database(), *config, row.value(), entry, sets_enabled, store::system_clock());
  json warnings = json::array();
  for (const auto& warning : outcome.diagnostics.warnings())
    warnings.push_back(warning.to_string());
  switch (outcome.result) {
    case store::EditOutcome::Result::invalid: {
      json errors = json::array();
      for (const auto& error : outcome.diagnostics.errors()) errors.push_back(error.to_string());
      return error_response(
          400,
          fmt::format("task '{}' was not changed: {}", name,
                      errors.empty() ? std::string("invalid") : errors[0].get<std::string>()),
          {{"errors", std::move(errors)}, {"warnings", std::move(warnings)}});
    }
    case store::EditOutcome::Result::conflict:
      return error_response(409, fmt::format("task '{}' was changed or removed by someone else "
                                             "meanwhile; nothing was written (try again)",
                                             name));
    case store::EditOutcome::Result::unchanged:
    case store::EditOutcome::Result::changed:
      break;
  }
  json changes = json::array();
  for (const auto& change : outcome.changes) changes.push_back(change_json(change));
  if (outcome.result == store::EditOutcome::Result::changed) {
    spdlog::info("task {}: changed through the admin API ({} field{})", name, changes.size(),
                 changes.size() == 1 ? "" : "s");
    daemon.tasks_changed();
  }
  return json_response(200, {{"task", task_to_json(*outcome.task, std::nullopt)},
                             {"changed", outcome.result == store::EditOutcome::Result::changed},
                             {"changes", std::move(changes)},
                             {"warnings", std::move(warnings)}});
}

// enable|disable: the override of `maintd task enable|disable`, for tasks of either origin.
Response set_enabled(Daemon& daemon, Request& request, bool enabled) {
  if (auto bad = check_query(request, {})) return *bad;
  if (auto body = parse_json_object(request, {}); !body) return body.error();
  const std::string& name = request.param("name");
  const auto config = daemon.current_config();
  auto row = store::read_task_row(daemon.database(), name);
  if (!row) return no_such_task(daemon, name);
  if (const config::Task* file_task = config->find_task(name); file_task && !row->from_file()) {
    return error_response(
        409, fmt::format("task '{}' is defined in {} and is also a row of scheduled_tasks (origin "
                         "{}); remove the row first ('maintd task rm {}')",
                         name, store::file_and_line(*file_task), row->origin, name));
  }
  const bool already =
      row->enabled == enabled && row->enabled_override == enabled && row->unreadable.empty();
  if (!store::set_enabled_override(daemon.database(), name, enabled, store::system_clock())) {
    return error_response(404, fmt::format("task '{}' was removed meanwhile", name));
  }
  if (!already) {
    spdlog::info("task {}: {} through the admin API", name, enabled ? "enabled" : "disabled");
  }
  daemon.tasks_changed();
  return json_response(200, {{"task", name}, {"enabled", enabled}, {"changed", !already}});
}

// run: a manual run on the daemon's workers; answers at once with its id.
Response run_task(Daemon& daemon, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  auto body = parse_json_object(request, {"dry_run", "config"});
  if (!body) return body.error();
  scheduler::RunNowRequest run;
  run.task = request.param("name");
  if (const auto it = body.value().find("dry_run"); it != body.value().end()) {
    if (!it->is_boolean()) {
      return error_response(400,
                            fmt::format("dry_run must be true or false, got {}", it->type_name()),
                            {{"field", "dry_run"}});
    }
    run.dry_run = it->get<bool>();
  }
  if (const auto it = body.value().find("config"); it != body.value().end()) {
    if (!it->is_object()) {
      return error_response(
          400, fmt::format("config must be an object of config keys, got {}", it->type_name()),
          {{"field", "config"}});
    }
    run.overrides = *it;
  }
  auto started = daemon.run_now(run);
  if (!started) {
    const scheduler::RunNowRefusal& refusal = started.error();
    using Reason = scheduler::RunNowRefusal::Reason;
    switch (refusal.reason) {
      case Reason::unknown_task:
        return no_such_task(daemon, run.task);
      case Reason::invalid_config:
        return error_response(400, refusal.message, {{"errors", refusal.errors}});
      case Reason::busy: {
        json details = json::object();
        if (refusal.running) details["running_run_id"] = *refusal.running;
        return error_response(409, refusal.message, std::move(details));
      }
      case Reason::unavailable:
        return error_response(503, refusal.message);
    }
  }
  const store::RunId id = started.value();
  Response response = json_response(202, {{"run_id", id},
                                          {"task", run.task},
                                          {"dry_run", run.dry_run},
                                          {"url", fmt::format("/api/v1/runs/{}", id)}});
  response.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", id));
  return response;
}

}  // namespace

void register_task_routes(Router& router, Daemon& daemon) {
  const std::string base = "/api/v1/scheduled-tasks";
  auto cache = std::make_shared<TaskListCache>();
  router.add(
      Method::get, base, [&daemon, cache](Request& r) { return list_tasks(daemon, *cache, r); },
      Access::read);
  router.add(
      Method::get, base + "/{name}", [&daemon](Request& r) { return show_task(daemon, r); },
      Access::read);
  router.add(
      Method::patch, base + "/{name}", [&daemon](Request& r) { return patch_task(daemon, r); },
      Access::write);
  router.add(
      Method::post, base + "/{name}/enable",
      [&daemon](Request& r) { return set_enabled(daemon, r, true); }, Access::write);
  router.add(
      Method::post, base + "/{name}/disable",
      [&daemon](Request& r) { return set_enabled(daemon, r, false); }, Access::write);
  router.add(
      Method::post, base + "/{name}/run", [&daemon](Request& r) { return run_task(daemon, r); },
      Access::write);
}

}  // namespace maintd::http
