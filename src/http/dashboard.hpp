#pragma once
// The web dashboard (docs/dashboard.md): server-rendered pages on the admin HTTP server.
//
//   GET  /, /overview, /tasks/{name}, /runs/{id}   the pages (dashboard_pages.hpp)
//   GET  /assets/{name}           the stylesheet and script compiled into maintd
//   GET  /login, POST /login      the token form; sets the maintd_token and maintd_csrf cookies
//   POST /logout                  clears them
//   POST /ui/tasks/{name}/run     form field dry_run=1 for a dry run
//   POST /ui/tasks/{name}/enable, /ui/tasks/{name}/disable
//   POST /ui/runs/{id}/cancel
//
// Pages need a credential (http/auth.hpp): without one, when a token is configured, they
// redirect to /login. Writes are form posts that need the read-write role and, unless they carry
// a Bearer token, pass the CSRF checks: the form's `csrf` field equals the maintd_csrf cookie,
// and the Origin (or, without one, the Referer) names this server. A refused write is a 4xx page
// and changes nothing; an accepted one redirects (303) back to its page with a flash message.
#include <chrono>
#include <string>

#include "http/auth.hpp"
#include "http/dashboard_model.hpp"
#include "http/dashboard_view.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "service/records.hpp"

namespace maintd::service {
class Service;
}

namespace maintd::http {

// Adds the routes above to `router` (all Access::open: they check the caller themselves, so
// that a refusal is a page or a redirect, not JSON). `service` and `auth` must outlive it.
void register_dashboard(Router& router, service::Service& service, const Auth& auth);

namespace dashboard {

inline constexpr std::string_view kFlashCookie = "maintd_flash";

// Whether the request's Origin, or without one its Referer, names this server (the Host
// header); true when it has neither (not a browser's cross-site request). "null" is refused.
bool same_origin(const Request& request);
// `requested` when it is a path on this server ("/tasks/a"), else `fallback`: a form's
// `return` field must not send the browser elsewhere ("//evil.example", "https://...").
std::string safe_return(const std::string& requested, const std::string& fallback);
// Whether a token can be stored as a cookie value as it is (RFC 6265 cookie-octets).
bool cookie_safe(std::string_view value);

}  // namespace dashboard

}  // namespace maintd::http
