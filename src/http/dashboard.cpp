// The dashboard's routes (see dashboard.hpp): logging in and out, the writes, the compiled-in
// assets; the pages are dashboard_pages.cpp's.
#include "http/dashboard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>

#include "common/duration.hpp"
#include "http/dashboard_pages.hpp"
#include "http/dashboard_session.hpp"
#include "http/html.hpp"
#include "service/service.hpp"
// Generated at build time from src/http/web/ (cmake/MaintdEmbed.cmake).
#include "http/web_files.hpp"

namespace maintd::http {
namespace dashboard {
namespace {

// ---- login ----

Response login_form(Request& request, const Auth& auth) {
  if (!auth.tokens_configured()) return see_other("/");
  (void)request;
  return page(200, render_login({}));
}

Response login(Request& request, const Auth& auth) {
  if (!same_origin(request)) {
    return message(403, "Cross-site request refused",
                   "The login form was not sent from this server's own page.", "/login", "Log in");
  }
  if (!auth.tokens_configured()) return see_other("/");
  const auto form = parse_form(request.body);
  const auto field = form.find("token");
  const std::string token = field == form.end() ? std::string() : field->second;
  if (auth.role_for_token(token) == Role::none) {
    spdlog::warn("dashboard: a login with a wrong token was refused");
    return page(401, render_login({.error = "Wrong token."}));
  }
  if (!cookie_safe(token)) {
    return page(400, render_login({.error = "This token cannot be kept in a cookie (it has "
                                            "spaces, quotes, commas, semicolons or "
                                            "backslashes): use the API with a Bearer header, "
                                            "or configure a token without them."}));
  }
  Response response = see_other("/");
  response.with_header("Set-Cookie", cookie(kTokenCookie, token, "HttpOnly; SameSite=Strict"));
  response.with_header("Set-Cookie", cookie(kCsrfCookie, random_token(), "SameSite=Strict"));
  return response;
}

Response logout(Request& request, const Auth& auth) {
  if (!same_origin(request)) {
    return message(403, "Cross-site request refused",
                   "The logout form was not sent from this server's own page.");
  }
  Response response = see_other(auth.tokens_configured() ? "/login" : "/");
  response.with_header("Set-Cookie", expired_cookie(kTokenCookie, "HttpOnly; SameSite=Strict"));
  response.with_header("Set-Cookie", expired_cookie(kCsrfCookie, "SameSite=Strict"));
  return response;
}

// ---- writes ----

std::string form_value(const std::map<std::string, std::string>& form, const std::string& name) {
  const auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

Response run_task(Request& request, service::Service& service, const Auth& auth) {
  const auto form = parse_form(request.body);
  if (auto refusal = check_write(request, auth, form)) return std::move(*refusal);
  const std::string& name = request.param("name");
  const std::string back = safe_return(form_value(form, "return"), task_href(name));
  const std::string dry = form_value(form, "dry_run");
  const bool dry_run = dry == "1" || dry == "true" || dry == "on";
  scheduler::RunNowRequest run_request;
  run_request.task = name;
  run_request.dry_run = dry_run;
  const auto started = service.run_now(run_request);
  if (!started) {
    return with_flash(see_other(back), Flash::Kind::error, started.error().message);
  }
  spdlog::info("dashboard: task {} run {} started from the dashboard{}", name, started.value(),
               dry_run ? " (dry run)" : "");
  return with_flash(
      see_other(back), Flash::Kind::ok,
      fmt::format("{} {} of {} started", dry_run ? "dry run" : "run", started.value(), name));
}

Response set_enabled(Request& request, service::Service& service, const Auth& auth, bool enabled) {
  const auto form = parse_form(request.body);
  if (auto refusal = check_write(request, auth, form)) return std::move(*refusal);
  const std::string& name = request.param("name");
  const std::string back = safe_return(form_value(form, "return"), task_href(name));
  const service::ToggleOutcome outcome = service.set_enabled(name, enabled, "the dashboard");
  using Result = service::ToggleOutcome::Result;
  switch (outcome.result) {
    case Result::unknown_task:
      return with_flash(see_other(back), Flash::Kind::error,
                        fmt::format("there is no task '{}'", name));
    case Result::defined_twice:
      return with_flash(see_other(back), Flash::Kind::error,
                        fmt::format("task '{}' is defined in {} and is also a row of "
                                    "scheduled_tasks (origin {}): remove the row first",
                                    name, outcome.defined_at, outcome.row_origin));
    case Result::removed_meanwhile:
      return with_flash(see_other(back), Flash::Kind::error,
                        fmt::format("task '{}' was removed meanwhile", name));
    case Result::done:
      break;
  }
  return with_flash(see_other(back), Flash::Kind::ok,
                    fmt::format("task {} {}", name, enabled ? "enabled" : "disabled"));
}

Response cancel(Request& request, service::Service& service, const Auth& auth) {
  const auto form = parse_form(request.body);
  if (auto refusal = check_write(request, auth, form)) return std::move(*refusal);
  const auto id = parse_run_id(request.param("id"));
  if (!id) return message(404, "No such run", "That is not a run id.");
  const std::string back = safe_return(form_value(form, "return"), run_href(*id));
  const auto outcome = service.cancel(*id);
  switch (outcome.result) {
    case scheduler::CancelOutcome::Result::cancelled:
      return with_flash(see_other(back), Flash::Kind::ok, fmt::format("run {} cancelled", *id));
    case scheduler::CancelOutcome::Result::finished:
      return with_flash(
          see_other(back), Flash::Kind::error,
          fmt::format("run {} had already ended: {}", *id, service::to_string(outcome.status)));
    case scheduler::CancelOutcome::Result::not_found:
      break;
  }
  return with_flash(see_other("/"), Flash::Kind::error, fmt::format("there is no run {}", *id));
}

// The pause form at the top of every page: `for` (a duration, or empty: until resumed), `reason`.
Response pause_all(Request& request, service::Service& service, const Auth& auth) {
  const auto form = parse_form(request.body);
  if (auto refusal = check_write(request, auth, form)) return std::move(*refusal);
  const std::string back = safe_return(form_value(form, "return"), "/");
  service::PauseAsk ask;
  ask.by = "the dashboard";
  ask.reason = form_value(form, "reason");
  if (const std::string duration = form_value(form, "for"); !duration.empty()) {
    const auto parsed = parse_duration(duration);
    if (!parsed) return with_flash(see_other(back), Flash::Kind::error, parsed.error());
    ask.duration = parsed.value();
  }
  const auto outcome = service.pause(ask, "the dashboard");
  if (!outcome) return with_flash(see_other(back), Flash::Kind::error, outcome.error());
  return with_flash(see_other(back), Flash::Kind::ok,
                    "maintd is " + service::describe_pause(outcome.value().pause));
}

Response resume_all(Request& request, service::Service& service, const Auth& auth) {
  const auto form = parse_form(request.body);
  if (auto refusal = check_write(request, auth, form)) return std::move(*refusal);
  const std::string back = safe_return(form_value(form, "return"), "/");
  if (!service.resume("the dashboard", "the dashboard")) {
    return with_flash(see_other(back), Flash::Kind::error, "maintd was not paused");
  }
  return with_flash(see_other(back), Flash::Kind::ok,
                    "resumed: schedules go on from their next slot");
}

// Every dashboard route answers a state database failure with a page, not a 500.
Handler guarded(std::function<Response(Request&)> body) {
  return [body = std::move(body)](Request& request) {
    try {
      return body(request);
    } catch (const service::StoreError& e) {
      spdlog::warn("dashboard: {} {}: {}", to_string(request.method), request.path, e.what());
      return message(
          503, "State database unavailable",
          fmt::format("maintd could not read or write its state database: {}", e.what()));
    }
  };
}

// GET /assets/NAME: the stylesheet and the script compiled in (templates are not served). Their
// URLs carry their digest (templates::asset_href), so a browser may keep them for a year.
Response asset(Request& request) {
  const std::string& name = request.param("name");
  const web::EmbeddedFile* file = nullptr;
  std::string type;
  if (name.ends_with(".css")) type = "text/css; charset=utf-8";
  if (name.ends_with(".js")) type = "text/javascript; charset=utf-8";
  if (!type.empty()) file = web::find_embedded_file(name);
  if (file == nullptr) return text_response(404, "no such asset\n");
  Response response = text_response(200, std::string(file->content), type);
  response.with_header("Cache-Control", "public, max-age=31536000, immutable")
      .with_header("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

}  // namespace dashboard

void register_dashboard(Router& router, service::Service& service, const Auth& auth) {
  using namespace dashboard;
  service::Service* d = &service;
  const Auth* a = &auth;
  register_dashboard_pages(router, service, auth, guarded);
  router.add(Method::get, "/assets/{name}", asset, Access::open);
  router.add(Method::get, "/login", guarded([a](Request& r) { return login_form(r, *a); }),
             Access::open);
  router.add(Method::post, "/login", guarded([a](Request& r) { return login(r, *a); }),
             Access::open);
  router.add(Method::post, "/logout", guarded([a](Request& r) { return logout(r, *a); }),
             Access::open);
  router.add(Method::post, "/ui/tasks/{name}/run",
             guarded([d, a](Request& r) { return run_task(r, *d, *a); }), Access::open);
  router.add(Method::post, "/ui/tasks/{name}/enable",
             guarded([d, a](Request& r) { return set_enabled(r, *d, *a, true); }), Access::open);
  router.add(Method::post, "/ui/tasks/{name}/disable",
             guarded([d, a](Request& r) { return set_enabled(r, *d, *a, false); }), Access::open);
  router.add(Method::post, "/ui/pause",
             guarded([d, a](Request& r) { return pause_all(r, *d, *a); }), Access::open);
  router.add(Method::post, "/ui/resume",
             guarded([d, a](Request& r) { return resume_all(r, *d, *a); }), Access::open);
  router.add(Method::post, "/ui/runs/{id}/cancel",
             guarded([d, a](Request& r) { return cancel(r, *d, *a); }), Access::open);
}

}  // namespace maintd::http
