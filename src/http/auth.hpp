#pragma once
// Who is calling, and whether it may do what it asks.
//
// Credentials: `Authorization: Bearer <token>`, or the cookie `maintd_token` that the dashboard's
// login form stores. http.token grants read and write, http.read_only_token reads only. Tokens
// are compared in constant time. With no token configured at all, requests are allowed only
// when the server listens on a loopback address (config validation refuses the other case).
//
// CSRF: a browser sends cookies with cross-site requests, so a write authenticated by cookie
// must also prove it came from our own page (double submit): the random `maintd_csrf` cookie set
// at login must equal the `X-CSRF-Token` header or the form's `csrf` field, and an `Origin`
// header, when present, must name this server's host. Bearer tokens are not sent by browsers
// on their own, so they need neither.
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace maintd::http {

inline constexpr std::string_view kTokenCookie = "maintd_token";
inline constexpr std::string_view kCsrfCookie = "maintd_csrf";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr std::string_view kCsrfField = "csrf";

// Whether `a` equals `b`, taking the same time whatever their content (and, for a given length
// of `b`, whatever the length of `a`): `b` is the secret. An empty `b` matches nothing.
bool constant_time_equal(std::string_view a, std::string_view b);

// A new random token (32 bytes from the system's CSPRNG, hex): CSRF cookies.
std::string random_token();

struct Decision {
  bool allowed = false;
  unsigned status = 200;  // 401 or 403 when refused
  std::string message;    // why, never the token
};

class Auth {
 public:
  // `loopback`: the server listens on a loopback address (no token needed then).
  Auth(const config::HttpSettings& settings, bool loopback);

  // The role a token grants (Role::none for anything else).
  Role role_for_token(std::string_view token) const;
  // The caller's role and where it came from: the Bearer header first, else the token cookie,
  // else loopback access when no token is configured. Sets request.role and request.credential.
  void identify(Request& request) const;
  // Whether an identified request may use a route of `access`. Writes by cookie need the CSRF
  // check (`form_csrf`: the form's `csrf` field, when the dashboard parsed one).
  Decision authorize(const Request& request, Access access, std::string_view form_csrf = {}) const;
  // The double-submit and Origin checks alone (see the top of this file).
  bool csrf_valid(const Request& request, std::string_view form_csrf = {}) const;

  // The 401 (with WWW-Authenticate: Bearer) or 403 JSON response for a refusal.
  static Response refusal(const Decision& decision);

  bool tokens_configured() const { return !token_.empty() || !read_only_token_.empty(); }
  bool metrics_public() const { return metrics_public_; }
  bool probes_public() const { return probes_public_; }

 private:
  std::string token_;
  std::string read_only_token_;
  bool loopback_;
  bool metrics_public_;
  bool probes_public_;
};

}  // namespace maintd::http
