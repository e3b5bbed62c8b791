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
#include "http/task_list_cache.hpp"
#include "service/json_views.hpp"
#include "service/service.hpp"

namespace maintd::http {
namespace {

using nlohmann::json;
using service::run_to_json;
using service::Service;
using service::slot_json;
using service::slot_text;
using service::task_to_json;

// How many upcoming slots a task's page shows.
constexpr int kNextSlots = 5;

Response no_such_task(Service& service, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& task : *service.tasks()) names.push_back(task.name);
  return error_response(404, fmt::format("no task named '{}'{}", name, did_you_mean(name, names)));
}

// The list's entry: the CLI's fields, the planner's next fire time, the last run and whether the
// task is past its expect_success_within.
json task_entry(Service& service, const config::Task& task, const json& last_run, bool overdue) {
  json out = task_to_json(task, task.enabled ? service.next_fire(task.name) : std::nullopt);
  out["last_run"] = last_run;
  out["overdue"] = overdue;
  return out;
}

// The list, assembled as text from each task's cached JSON (task_list_cache.hpp) and the members
// that change between requests.
Response list_tasks(Service& service, TaskListCache& cache, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const auto tasks = service.tasks();
  const auto fragments = cache.fragments(tasks);
  const auto latest = service.latest_runs();  // one query for every task
  std::set<std::string> overdue;
  for (const auto& task : service.overdue()) overdue.insert(task.task);
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
    const auto next = task.enabled ? service.next_fire(task.name) : std::nullopt;
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

Response show_task(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const std::string name = service.task_name(request.param("name"));
  const auto tasks = service.tasks();
  const config::Task* task = tasks->find(name);
  if (task == nullptr) {
    // Not loaded: a row added since the last poll, or one that does not validate (which a
    // PATCH may fix, so it is shown with its errors).
    auto unloaded = service.unloaded_task(name);
    if (!unloaded) return no_such_task(service, name);
    if (!unloaded->task) {
      json errors = json::array();
      for (const auto& error : unloaded->problems.errors()) errors.push_back(error.to_string());
      return json_response(200, {{"task",
                                  {{"name", name},
                                   {"origin", unloaded->origin},
                                   {"valid", false},
                                   {"errors", std::move(errors)}}}});
    }
    const config::Task* loaded = &*unloaded->task;
    json out = task_to_json(
        *loaded, loaded->enabled ? loaded->slots.next(std::chrono::floor<std::chrono::seconds>(
                                       std::chrono::system_clock::now()))
                                 : std::nullopt);
    out["valid"] = true;
    out["loaded"] = false;
    return json_response(200, {{"task", std::move(out)}});
  }
  const auto latest = service.latest_runs();
  const auto run = latest.find(name);
  const auto successes = service.last_successes();
  const auto success = successes.find(name);
  bool overdue = false;
  for (const auto& o : service.overdue()) overdue = overdue || o.task == name;

  json out =
      task_entry(service, *task, run == latest.end() ? json() : run_to_json(run->second), overdue);
  out["valid"] = true;
  out["loaded"] = true;
  out["expect_success_within"] = task->policies.expect_success_within
                                     ? json(format_duration(*task->policies.expect_success_within))
                                     : json();
  out["last_success"] =
      success == successes.end() ? json() : json(service::format_timestamp(success->second));
  // The schedule's own slots (without jitter), from now: what the expression or interval says.
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

json change_json(const service::FieldChange& change) {
  // A config may hold a secret: its values are shown masked, like everywhere else.
  const bool config = change.column == "config";
  return {{"column", change.column},
          {"before", config ? config::redact(change.before) : change.before},
          {"after", config ? config::redact(change.after) : change.after}};
}

// PATCH: a JSON merge patch (RFC 7396) over the task's definition as a schedule-file entry,
// validated and written exactly as `maintd task edit` does (tasks/task_edit.hpp).
Response patch_task(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  const std::string name = service.task_name(request.param("name"));
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
  auto edited = service.edit(name, patch.value(), "the admin API");
  if (!edited) {
    const service::EditRefusal& refusal = edited.error();
    switch (refusal.reason) {
      case service::EditRefusal::Reason::file_task: {
        const std::string where =
            fmt::format("{}:{}", refusal.defined_at.file, refusal.defined_at.line);
        return error_response(
            409, fmt::format("task '{}' is defined in {} \u2014 edit the file", name, where),
            {{"defined_at", where}});
      }
      case service::EditRefusal::Reason::unknown:
        return no_such_task(service, name);
      case service::EditRefusal::Reason::not_db:
        return error_response(409, fmt::format("the row of task '{}' has origin '{}': only rows of "
                                               "origin db are edited",
                                               name, refusal.origin));
    }
  }
  const service::EditOutcome& outcome = edited.value();
  json warnings = json::array();
  for (const auto& warning : outcome.diagnostics.warnings())
    warnings.push_back(warning.to_string());
  switch (outcome.result) {
    case service::EditOutcome::Result::invalid: {
      json errors = json::array();
      for (const auto& error : outcome.diagnostics.errors()) errors.push_back(error.to_string());
      return error_response(
          400,
          fmt::format("task '{}' was not changed: {}", name,
                      errors.empty() ? std::string("invalid") : errors[0].get<std::string>()),
          {{"errors", std::move(errors)}, {"warnings", std::move(warnings)}});
    }
    case service::EditOutcome::Result::conflict:
      return error_response(409, fmt::format("task '{}' was changed or removed by someone else "
                                             "meanwhile; nothing was written (try again)",
                                             name));
    case service::EditOutcome::Result::unchanged:
    case service::EditOutcome::Result::changed:
      break;
  }
  json changes = json::array();
  for (const auto& change : outcome.changes) changes.push_back(change_json(change));
  return json_response(200, {{"task", task_to_json(*outcome.task, std::nullopt)},
                             {"changed", outcome.result == service::EditOutcome::Result::changed},
                             {"changes", std::move(changes)},
                             {"warnings", std::move(warnings)}});
}

// enable|disable: the override of `maintd task enable|disable`, for tasks of either origin.
Response set_enabled(Service& service, Request& request, bool enabled) {
  if (auto bad = check_query(request, {})) return *bad;
  if (auto body = parse_json_object(request, {}); !body) return body.error();
  const std::string name = service.task_name(request.param("name"));
  const service::ToggleOutcome outcome = service.set_enabled(name, enabled, "the admin API");
  using Result = service::ToggleOutcome::Result;
  switch (outcome.result) {
    case Result::unknown_task:
      return no_such_task(service, name);
    case Result::defined_twice:
      return error_response(
          409,
          fmt::format("task '{}' is defined in {} and is also a row of scheduled_tasks (origin "
                      "{}); remove the row first ('maintd task rm {}')",
                      name, outcome.defined_at, outcome.row_origin, name));
    case Result::removed_meanwhile:
      return error_response(404, fmt::format("task '{}' was removed meanwhile", name));
    case Result::done:
      break;
  }
  return json_response(200, {{"task", name}, {"enabled", enabled}, {"changed", outcome.changed}});
}

// run with "at": a one-off run recorded for whichever daemon is up at that time (answers 202
// with the pending run). "config" and "force" do not apply: it runs the task's config as it is
// then, waits out a pause and follows the task's concurrency policy.
Response run_task_at(Service& service, const scheduler::RunNowRequest& run, const json& at,
                     const json& body) {
  if (!at.is_string()) {
    return error_response(
        400,
        fmt::format("at must be a time such as \"2026-12-08T03:00:00Z\" or \"+10m\", got {}",
                    at.type_name()),
        {{"field", "at"}});
  }
  for (const char* other : {"config", "force"}) {
    if (body.contains(other)) {
      return error_response(400,
                            fmt::format("{} cannot be combined with at: a one-off run runs the "
                                        "task's config as it is when it starts, waits out a pause "
                                        "and follows the task's concurrency policy",
                                        other),
                            {{"field", other}});
    }
  }
  service::OneOffAsk ask;
  ask.task = run.task;
  ask.at = at.get<std::string>();
  ask.dry_run = run.dry_run;
  const auto recorded = service.schedule_one_off(ask, "the admin API");
  if (!recorded) {
    if (recorded.error().reason == service::OneOffRefusal::Reason::unknown_task) {
      return no_such_task(service, run.task);
    }
    return error_response(400, recorded.error().message, {{"field", "at"}, {"value", ask.at}});
  }
  const service::RunRecord& pending = recorded.value();
  Response response =
      json_response(202, {{"run_id", pending.id},
                          {"task", pending.task_name},
                          {"dry_run", pending.dry_run},
                          {"status", "pending"},
                          {"trigger", "once"},
                          {"due_at", pending.due_at ? json(format_utc(*pending.due_at)) : json()},
                          {"url", fmt::format("/api/v1/runs/{}", pending.id)}});
  response.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", pending.id));
  return response;
}

// run: a manual run on the daemon's workers; answers at once with its id.
Response run_task(Service& service, Request& request) {
  if (auto bad = check_query(request, {})) return *bad;
  auto body = parse_json_object(request, {"dry_run", "config", "force", "at"});
  if (!body) return body.error();
  scheduler::RunNowRequest run;
  run.task = service.task_name(request.param("name"));
  if (const auto it = body.value().find("force"); it != body.value().end()) {
    if (!it->is_boolean()) {
      return error_response(400,
                            fmt::format("force must be true or false, got {}", it->type_name()),
                            {{"field", "force"}});
    }
    run.force = it->get<bool>();
  }
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
  if (const auto it = body.value().find("at"); it != body.value().end()) {
    return run_task_at(service, run, *it, body.value());
  }
  auto started = service.run_now(run);
  if (!started) {
    const scheduler::RunNowRefusal& refusal = started.error();
    using Reason = scheduler::RunNowRefusal::Reason;
    switch (refusal.reason) {
      case Reason::unknown_task:
        return no_such_task(service, run.task);
      case Reason::invalid_config:
        return error_response(400, refusal.message, {{"errors", refusal.errors}});
      case Reason::busy: {
        json details = json::object();
        if (refusal.running) details["running_run_id"] = *refusal.running;
        return error_response(409, refusal.message, std::move(details));
      }
      case Reason::unavailable:
        return error_response(503, refusal.message);
      case Reason::paused:
        return error_response(409, refusal.message, {{"paused", true}});
    }
  }
  const service::RunId id = started.value();
  Response response = json_response(202, {{"run_id", id},
                                          {"task", run.task},
                                          {"dry_run", run.dry_run},
                                          {"url", fmt::format("/api/v1/runs/{}", id)}});
  response.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", id));
  return response;
}

}  // namespace

void register_task_routes(Router& router, Service& service) {
  const std::string base = "/api/v1/scheduled-tasks";
  auto cache = std::make_shared<TaskListCache>();
  router.add(
      Method::get, base, [&service, cache](Request& r) { return list_tasks(service, *cache, r); },
      Access::read);
  router.add(
      Method::get, base + "/{name}", [&service](Request& r) { return show_task(service, r); },
      Access::read);
  router.add(
      Method::patch, base + "/{name}", [&service](Request& r) { return patch_task(service, r); },
      Access::write);
  router.add(
      Method::post, base + "/{name}/enable",
      [&service](Request& r) { return set_enabled(service, r, true); }, Access::write);
  router.add(
      Method::post, base + "/{name}/disable",
      [&service](Request& r) { return set_enabled(service, r, false); }, Access::write);
  router.add(
      Method::post, base + "/{name}/run", [&service](Request& r) { return run_task(service, r); },
      Access::write);
}

}  // namespace maintd::http
