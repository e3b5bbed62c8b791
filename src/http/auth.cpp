// Authentication and authorization of admin requests (see auth.hpp).
#include "http/auth.hpp"

#include <sys/random.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace maintd::http {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The token of "Bearer <token>" (scheme in any case); empty when the header is something else.
std::string bearer_token(const std::string& authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  if (lower(authorization.substr(0, kScheme.size())) != kScheme) return {};
  std::string token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

// "host:port" of an Origin ("http://127.0.0.1:8089"), lower case; empty when it has none.
std::string origin_authority(const std::string& origin) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return {};
  std::string authority = origin.substr(scheme_end + 3);
  const auto slash = authority.find('/');
  if (slash != std::string::npos) authority.resize(slash);
  return lower(authority);
}

// The host of a Host header ("127.0.0.1:8089", "[::1]:8089", "localhost").
std::string host_name(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  return lower(host.substr(0, host.rfind(':')));
}

bool is_loopback_name(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool is_write(Method method) {
  return method != Method::get && method != Method::head;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The loop runs over the secret's length whatever `a` is, and never exits early: the time
  // tells an attacker neither where the first difference is nor anything but b's length.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned char left = a.empty() ? 0 : static_cast<unsigned char>(a[i % a.size()]);
    difference |= static_cast<unsigned char>(left ^ static_cast<unsigned char>(b[i]));
  }
  return difference == 0 && !b.empty();
}

std::string random_token() {
  std::array<unsigned char, 32> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) throw std::runtime_error("the system's random generator failed");
    filled += static_cast<std::size_t>(got);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

Auth::Auth(const config::HttpSettings& settings, bool loopback)
    : token_(settings.token.value_or("")),
      read_only_token_(settings.read_only_token.value_or("")),
      loopback_(loopback),
      metrics_public_(settings.metrics_public),
      probes_public_(settings.probes_public) {}

Role Auth::role_for_token(std::string_view token) const {
  // Both comparisons always run: which token matched does not show in the time either.
  const bool write = !token_.empty() && constant_time_equal(token, token_);
  const bool read = !read_only_token_.empty() && constant_time_equal(token, read_only_token_);
  if (write) return Role::read_write;
  if (read) return Role::read_only;
  return Role::none;
}

void Auth::identify(Request& request) const {
  request.role = Role::none;
  request.credential = Credential::none;
  const std::string authorization = request.header("authorization");
  if (!authorization.empty()) {
    // A header that is present decides, even when a cookie is there too.
    request.credential = Credential::bearer;
    request.role = role_for_token(bearer_token(authorization));
    return;
  }
  if (auto cookie = request.cookie(kTokenCookie); cookie && !cookie->empty()) {
    request.credential = Credential::cookie;
    request.role = role_for_token(*cookie);
    return;
  }
  if (!tokens_configured() && loopback_) {
    request.credential = Credential::loopback;
    request.role = Role::read_write;
  }
}

bool Auth::csrf_valid(const Request& request, std::string_view form_csrf) const {
  const std::string origin = request.header("origin");
  if (!origin.empty() && origin_authority(origin) != lower(request.header("host"))) return false;
  const auto cookie = request.cookie(kCsrfCookie);
  if (!cookie || cookie->empty()) return false;
  const std::string header = request.header(kCsrfHeader);
  const std::string_view submitted = !header.empty() ? std::string_view(header) : form_csrf;
  return constant_time_equal(submitted, *cookie);
}

Decision Auth::authorize(const Request& request, Access access, std::string_view form_csrf) const {
  if (access == Access::open) return {true, 200, {}};
  if (request.role == Role::none) {
    if (request.credential == Credential::none) {
      return {false, 401, "authentication required: send Authorization: Bearer <token>"};
    }
    return {false, 401, "invalid token"};
  }
  if (request.credential == Credential::loopback) {
    // No token: only this machine may call. A browser tricked by another site (DNS rebinding)
    // sends that site's name as Host, and its own Origin.
    if (!is_loopback_name(host_name(request.header("host")))) {
      return {false, 403, "without http.token, only requests to a loopback address are served"};
    }
    const std::string origin = request.header("origin");
    if (is_write(request.method) && !origin.empty() &&
        origin_authority(origin) != lower(request.header("host"))) {
      return {false, 403, "cross-site request refused (Origin does not match Host)"};
    }
  }
  if (access == Access::write) {
    if (request.role != Role::read_write) {
      return {false, 403, "the read-only token cannot change anything"};
    }
    if (request.credential == Credential::cookie && !csrf_valid(request, form_csrf)) {
      return {false, 403,
              "CSRF check failed: send the maintd_csrf cookie's value as X-CSRF-Token from this "
              "server's own pages"};
    }
  }
  return {true, 200, {}};
}

Response Auth::refusal(const Decision& decision) {
  Response response = error_response(decision.status, decision.message);
  if (decision.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace maintd::http
