// Who may see and do what on the dashboard, and how its answers are made (dashboard_session.hpp).
#include "http/dashboard_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "http/dashboard.hpp"
#include "http/html.hpp"
#include "service/service.hpp"

namespace maintd::http::dashboard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

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

// FNV-1a, 64 bits: an ETag needs only to differ when the text does, within one server's life.
std::string fingerprint(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("\"{:016x}\"", hash);
}

}  // namespace

// The headers of every dashboard page: never cached, never framed, no script, no other origin.
Response page(unsigned status, std::string body) {
  Response response = html_response(status, std::move(body));
  response.with_header("Cache-Control", "no-store")
      .with_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
                   "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'")
      .with_header("X-Frame-Options", "DENY")
      .with_header("X-Content-Type-Options", "nosniff")
      .with_header("Referrer-Policy", "same-origin");
  return response;
}

Response message(unsigned status, std::string title, std::string text, std::string back,
                 std::string back_text) {
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
  if (is_live_request(request)) {
    // The script shows "log in again" itself: a login page in its place would be nonsense.
    if (request.role == Role::none) {
      return text_response(401, "not logged in: log in again\n");
    }
    const Decision decision = auth.authorize(request, Access::read);
    if (!decision.allowed) return text_response(decision.status, decision.message + "\n");
    return std::nullopt;
  }
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

bool is_live_request(const Request& request) {
  return request.header("x-maintd-live") == "1";
}

Response live_part(const Request& request, std::string body) {
  const std::string etag = fingerprint(body);
  Response response;
  if (request.header("if-none-match") == etag) {
    response.status = 304;
    response.content_type.clear();
  } else {
    response = html_response(200, std::move(body));
  }
  response.with_header("ETag", etag)
      .with_header("Cache-Control", "no-store")
      .with_header("X-Content-Type-Options", "nosniff");
  return response;
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

}  // namespace maintd::http::dashboard
