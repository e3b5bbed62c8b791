// The dashboard's routes (see dashboard.hpp): who may see and do what, the view models built from
// the daemon and the state database, and the answers (pages, redirects, cookies).
#include "http/dashboard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "common/duration.hpp"
#include "cron/explain.hpp"
#include "cron/syntax.hpp"
#include "http/html.hpp"
#include "service/json_views.hpp"
#include "service/service.hpp"

namespace maintd::http {
namespace dashboard {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kRunsPerPage = 25;
constexpr std::size_t kEventsPerRunOnTaskPage = 50;
constexpr int kEventsOnRunPage = 5000;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host:port" of "http://host:port/path", lower case; empty when it is not such a URL.
std::string url_authority(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  return lower(authority);
}

std::string stamp(const std::optional<service::Timestamp>& at) {
  if (!at) return {};
  return format_utc(std::chrono::floor<seconds>(*at));
}

// The headers of every dashboard page: never cached, never framed, no script, no other origin.
Response page(unsigned status, std::string body) {
  Response response = html_response(status, std::move(body));
  response.with_header("Cache-Control", "no-store")
      .with_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      .with_header("X-Frame-Options", "DENY")
      .with_header("X-Content-Type-Options", "nosniff")
      .with_header("Referrer-Policy", "same-origin");
  return response;
}

Response message(unsigned status, std::string title, std::string text, std::string back = "/",
                 std::string back_text = "Back to the dashboard") {
  return page(status, render_message({.status = status,
                                      .title = std::move(title),
                                      .message = std::move(text),
                                      .back_href = std::move(back),
                                      .back_text = std::move(back_text)}));
}

Response see_other(std::string location) {
  Response response = redirect_response(std::move(location));
  response.with_header("Cache-Control", "no-store");
  return response;
}

std::string cookie(std::string_view name, std::string_view value, std::string_view attributes) {
  return fmt::format("{}={}; Path=/; {}", name, value, attributes);
}

std::string expired_cookie(std::string_view name, std::string_view attributes) {
  return fmt::format("{}=; Path=/; Max-Age=0; {}", name, attributes);
}

Response with_flash(Response response, Flash::Kind kind, const std::string& text) {
  const std::string value = (kind == Flash::Kind::ok ? "ok:" : "error:") + text;
  response.with_header("Set-Cookie", cookie(kFlashCookie, html::url_encode(value),
                                            "Max-Age=60; HttpOnly; SameSite=Strict"));
  return response;
}

// The flash message a write left for this page, if any (and the header that clears it).
std::optional<Flash> take_flash(const Request& request, Response& response) {
  const auto value = request.cookie(kFlashCookie);
  if (!value) return std::nullopt;
  response.with_header("Set-Cookie", expired_cookie(kFlashCookie, "HttpOnly; SameSite=Strict"));
  const std::string text = url_decode(*value, false);
  if (text.rfind("ok:", 0) == 0) return Flash{Flash::Kind::ok, text.substr(3)};
  if (text.rfind("error:", 0) == 0) return Flash{Flash::Kind::error, text.substr(6)};
  return std::nullopt;
}

// The viewer of a page, and the CSRF cookie its forms need when the browser has none yet (a
// loopback listener without tokens: nobody logged in).
Viewer viewer_for(const Request& request, std::vector<std::string>& set_cookies) {
  Viewer viewer;
  viewer.can_write = request.role == Role::read_write;
  viewer.can_logout = request.credential == Credential::cookie;
  auto csrf = request.cookie(kCsrfCookie);
  if (!csrf || csrf->empty() || !cookie_safe(*csrf)) {
    csrf = random_token();
    set_cookies.push_back(cookie(kCsrfCookie, *csrf, "SameSite=Strict"));
  }
  viewer.csrf = *csrf;
  return viewer;
}

// Who may see a page: nothing when the request may, else the answer (to /login, or a refusal).
std::optional<Response> check_read(Request& request, const Auth& auth) {
  auth.identify(request);
  if (request.role == Role::none) {
    if (auth.tokens_configured()) return see_other("/login");
    return message(403, "Not allowed",
                   "Without http.token the dashboard is only served on a loopback address.", "");
  }
  const Decision decision = auth.authorize(request, Access::read);
  if (!decision.allowed) return message(decision.status, "Not allowed", decision.message, "");
  return std::nullopt;
}

// Who may write: nothing when the request may, else the refusal page (nothing was done).
std::optional<Response> check_write(Request& request, const Auth& auth,
                                    const std::map<std::string, std::string>& form) {
  auth.identify(request);
  if (request.role == Role::none) {
    return message(401, "Not logged in", "Log in with the token to change anything.", "/login",
                   "Log in");
  }
  if (request.role != Role::read_write) {
    return message(403, "Read-only access",
                   "The read-only token can look but cannot run, enable, disable or cancel "
                   "anything.");
  }
  if (!same_origin(request)) {
    return message(403, "Cross-site request refused",
                   "This form was not sent from this server's own pages (Origin or Referer "
                   "names another site). Nothing was changed.");
  }
  const auto field = form.find(std::string(kCsrfField));
  const std::string submitted = field == form.end() ? std::string() : field->second;
  // A Bearer token is never sent by a browser on its own; every other credential (the cookie,
  // or being on loopback without tokens) is, so it must prove the form is ours.
  if (request.credential != Credential::bearer && !auth.csrf_valid(request, submitted)) {
    return message(403, "Form expired or forged",
                   "The form's CSRF token does not match this browser's maintd_csrf cookie: "
                   "reload the page and try again. Nothing was changed.");
  }
  const Decision decision = auth.authorize(request, Access::write, submitted);
  if (!decision.allowed) return message(decision.status, "Not allowed", decision.message);
  return std::nullopt;
}

std::optional<service::RunId> parse_run_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(text);
}

std::string explanation(const std::string& schedule) {
  const auto syntax = cron::parse_syntax(schedule);
  if (!syntax) return {};
  try {
    return cron::explain(*syntax);
  } catch (const std::exception&) {
    return {};
  }
}

TaskSummary summarize_task(const config::Task& task, service::Service& service, Instant now) {
  TaskSummary summary;
  summary.name = task.name;
  summary.type = task.type;
  summary.description = task.description;
  summary.schedule = task.schedule;
  summary.timezone = task.timezone;
  summary.explanation = explanation(task.schedule);
  summary.origin = task.source == config::Task::Source::table
                       ? "scheduled_tasks (maintd task add)"
                       : (task.file.empty() ? task.defined_at.file : task.file);
  summary.enabled = task.enabled;
  summary.dry_run = task.dry_run;
  if (task.enabled) {
    if (const auto next = service.next_fire(task.name)) {
      summary.next_slot = format_utc(*next);
      summary.next_slot_in = *next >= now ? "in " + format_distance(*next - now)
                                          : format_distance(now - *next) + " ago";
    }
  }
  const auto& policies = task.policies;
  summary.policies = {{"timeout", format_duration(policies.timeout)},
                      {"concurrency", config::to_string(policies.concurrency)},
                      {"catch-up", format_duration(policies.catchup)},
                      {"retries", std::to_string(policies.retries)}};
  if (policies.retries > 0) {
    summary.policies.emplace_back("retry backoff", format_duration(policies.retry_backoff));
  }
  if (policies.jitter.count() > 0) {
    summary.policies.emplace_back("jitter", format_duration(policies.jitter));
  }
  if (policies.expect_success_within) {
    summary.policies.emplace_back("expect success within",
                                  format_duration(*policies.expect_success_within));
  }
  return summary;
}

std::string overdue_text(const scheduler::OverdueTask& overdue, Instant now) {
  const std::string expected = format_duration(overdue.expected);
  if (!overdue.last_success) {
    return fmt::format("no completed run recorded (expected within {}; watching for {})", expected,
                       format_distance(now - overdue.since));
  }
  return fmt::format("no completed run for {} (expected within {})",
                     format_distance(now - std::chrono::floor<seconds>(*overdue.last_success)),
                     expected);
}

Instant now_instant() {
  return std::chrono::floor<seconds>(std::chrono::system_clock::now());
}
service::Timestamp now_stamp() {
  return std::chrono::floor<milliseconds>(std::chrono::system_clock::now());
}

seconds lease_of(service::Service& service) {
  const auto config = service.config();
  return config ? config->daemon.lease : seconds(60);
}

Response finish_page(Response response, const std::vector<std::string>& set_cookies) {
  for (const auto& value : set_cookies) response.with_header("Set-Cookie", value);
  return response;
}

// ---- pages ----

Response tasks_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  std::vector<std::string> set_cookies;
  Response flash_holder;
  TasksPage model;
  model.flash = take_flash(request, flash_holder);
  model.viewer = viewer_for(request, set_cookies);
  const Instant now = now_instant();
  const service::Timestamp now_ms = now_stamp();
  const seconds lease = lease_of(service);
  const auto tasks = service.tasks();
  const auto latest = service.latest_runs();
  std::map<std::string, scheduler::OverdueTask> overdue;
  for (auto& task : service.overdue()) overdue.emplace(task.task, task);
  model.tasks.reserve(tasks->size());
  for (const auto& task : *tasks) {
    TaskSummary summary = summarize_task(task, service, now);
    if (auto it = latest.find(task.name); it != latest.end()) {
      summary.last_run = summarize_run(it->second, now_ms, lease);
    }
    if (auto it = overdue.find(task.name); it != overdue.end()) {
      summary.overdue = overdue_text(it->second, now);
    }
    model.tasks.push_back(std::move(summary));
  }
  model.generated_at = format_utc(now);
  Response response = page(200, render_tasks(model));
  for (auto& header : flash_holder.headers) response.headers.push_back(std::move(header));
  return finish_page(std::move(response), set_cookies);
}

Response task_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const std::string& name = request.param("name");
  std::optional<service::RunId> before;
  if (auto text = request.query_value("before")) {
    before = parse_run_id(*text);
    if (!before) return message(400, "Bad request", "before= must be a run id");
  }
  const auto tasks = service.tasks();
  const config::Task* task = tasks->find(name);
  const service::HistoryPage history =
      service.history({.task = name, .before_id = before}, kRunsPerPage);
  const auto& runs = history.runs;
  if (task == nullptr && runs.empty() && !before) {
    return message(404, "No such task", fmt::format("There is no task '{}'.", name));
  }
  std::vector<std::string> set_cookies;
  Response flash_holder;
  TaskPage model;
  model.flash = take_flash(request, flash_holder);
  model.viewer = viewer_for(request, set_cookies);
  const Instant now = now_instant();
  const service::Timestamp now_ms = now_stamp();
  const seconds lease = lease_of(service);
  if (task != nullptr) {
    model.task = summarize_task(*task, service, now);
    for (const auto& overdue : service.overdue()) {
      if (overdue.task == name) model.task.overdue = overdue_text(overdue, now);
    }
  } else {
    model.task.name = name;
    model.task.defined = false;
  }
  for (const auto& run : runs) {
    RunWithEvents entry;
    entry.run = summarize_run(run, now_ms, lease);
    const auto events = service.events(run.id);
    const std::size_t shown = std::min(events.size(), kEventsPerRunOnTaskPage);
    entry.events.reserve(shown);
    for (std::size_t i = 0; i < shown; ++i) entry.events.push_back(event_line(events[i]));
    entry.events_omitted = events.size() - shown;
    model.runs.push_back(std::move(entry));
  }
  if (history.next_cursor) {
    model.older_href = task_href(name) + "?before=" + std::to_string(*history.next_cursor);
  }
  model.generated_at = format_utc(now);
  Response response = page(200, render_task(model));
  for (auto& header : flash_holder.headers) response.headers.push_back(std::move(header));
  return finish_page(std::move(response), set_cookies);
}

Response run_page(Request& request, service::Service& service, const Auth& auth) {
  if (auto refusal = check_read(request, auth)) return std::move(*refusal);
  const auto id = parse_run_id(request.param("id"));
  const auto run = id ? service.run(*id) : std::nullopt;
  if (!run) {
    return message(404, "No such run", fmt::format("There is no run '{}'.", request.param("id")));
  }
  std::vector<std::string> set_cookies;
  Response flash_holder;
  RunPage model;
  model.flash = take_flash(request, flash_holder);
  model.viewer = viewer_for(request, set_cookies);
  model.task_name = run->task_name;
  model.run = summarize_run(*run, now_stamp(), lease_of(service));
  const auto events = service.events(run->id);
  const std::size_t shown = std::min(events.size(), static_cast<std::size_t>(kEventsOnRunPage));
  for (std::size_t i = 0; i < shown; ++i) model.events.push_back(event_line(events[i]));
  model.generated_at = format_utc(now_instant());
  Response response = page(200, render_run(model));
  for (auto& header : flash_holder.headers) response.headers.push_back(std::move(header));
  return finish_page(std::move(response), set_cookies);
}

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

}  // namespace

bool is_stale(const service::RunRecord& run, service::Timestamp now, std::chrono::seconds lease) {
  if (run.status == service::RunStatus::abandoned) return true;
  if (run.status != service::RunStatus::running && run.status != service::RunStatus::pending) {
    return false;
  }
  const service::Timestamp last = run.heartbeat_at.value_or(run.created_at);
  return now - last > lease;
}

RunSummary summarize_run(const service::RunRecord& run, service::Timestamp now,
                         std::chrono::seconds lease) {
  RunSummary summary;
  summary.id = run.id;
  summary.status = std::string(service::to_string(run.status));
  summary.trigger = std::string(service::to_string(run.trigger));
  summary.dry_run = run.dry_run;
  summary.attempt = run.attempt;
  summary.scheduled_for = run.scheduled_for ? format_utc(*run.scheduled_for) : std::string();
  summary.created_at = stamp(run.created_at);
  summary.started_at = stamp(run.started_at);
  summary.finished_at = stamp(run.finished_at);
  summary.heartbeat_at = stamp(run.heartbeat_at);
  if (run.started_at) {
    // A run in progress: how long it has been going so far.
    const service::Timestamp end = run.finished_at ? *run.finished_at
                                   : (run.status == service::RunStatus::running)
                                       ? std::max(now, *run.started_at)
                                       : run.heartbeat_at.value_or(*run.started_at);
    summary.duration = format_run_duration(duration_cast<milliseconds>(end - *run.started_at));
  }
  summary.host = run.host;
  summary.error = run.error;
  summary.stale = is_stale(run, now, lease);
  return summary;
}

EventLine event_line(const service::RunEvent& event) {
  // "2026-03-29T01:00:00.123Z" -> "01:00:00.123": the run's page names the day.
  std::string at = service::format_timestamp(event.at);
  if (at.size() >= 23) at = at.substr(11, 12);
  return {std::move(at), event.level, event.event, event.message};
}

bool same_origin(const Request& request) {
  const std::string host = lower(request.header("host"));
  const std::string origin = request.header("origin");
  if (!origin.empty()) return !host.empty() && url_authority(origin) == host;
  const std::string referer = request.header("referer");
  if (!referer.empty()) return !host.empty() && url_authority(referer) == host;
  return true;
}

std::string safe_return(const std::string& requested, const std::string& fallback) {
  if (requested.empty() || requested.front() != '/') return fallback;
  if (requested.size() > 1 && (requested[1] == '/' || requested[1] == '\\')) return fallback;
  for (char c : requested) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte == 0x7f || c == '\\') return fallback;
  }
  return requested;
}

bool cookie_safe(std::string_view value) {
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  }
  return true;
}

}  // namespace dashboard

void register_dashboard(Router& router, service::Service& service, const Auth& auth) {
  using namespace dashboard;
  service::Service* d = &service;
  const Auth* a = &auth;
  router.add(Method::get, "/", guarded([d, a](Request& r) { return tasks_page(r, *d, *a); }),
             Access::open);
  router.add(Method::get, "/login", guarded([a](Request& r) { return login_form(r, *a); }),
             Access::open);
  router.add(Method::post, "/login", guarded([a](Request& r) { return login(r, *a); }),
             Access::open);
  router.add(Method::post, "/logout", guarded([a](Request& r) { return logout(r, *a); }),
             Access::open);
  router.add(Method::get, "/tasks/{name}",
             guarded([d, a](Request& r) { return task_page(r, *d, *a); }), Access::open);
  router.add(Method::get, "/runs/{id}", guarded([d, a](Request& r) { return run_page(r, *d, *a); }),
             Access::open);
  router.add(Method::post, "/ui/tasks/{name}/run",
             guarded([d, a](Request& r) { return run_task(r, *d, *a); }), Access::open);
  router.add(Method::post, "/ui/tasks/{name}/enable",
             guarded([d, a](Request& r) { return set_enabled(r, *d, *a, true); }), Access::open);
  router.add(Method::post, "/ui/tasks/{name}/disable",
             guarded([d, a](Request& r) { return set_enabled(r, *d, *a, false); }), Access::open);
  router.add(Method::post, "/ui/runs/{id}/cancel",
             guarded([d, a](Request& r) { return cancel(r, *d, *a); }), Access::open);
}

}  // namespace maintd::http
