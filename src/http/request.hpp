#pragma once
// One HTTP request as route handlers see it: independent of Boost.Beast, so that handlers (the
// API's and the dashboard's) compile without the server's headers and tests can build requests
// by hand.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace maintd::http {

enum class Method { get, head, post, put, patch, del, other };
std::string_view to_string(Method method);  // "GET", ...; "DELETE" for del

// What a caller proved with its credentials (http/auth.hpp).
enum class Role {
  none,        // no valid credential
  read_only,   // http.read_only_token: GET and HEAD only
  read_write,  // http.token, or no token configured on a loopback listener
};
// Where the credential came from: a cookie-authenticated write must pass the CSRF check.
enum class Credential { none, bearer, cookie, loopback };

struct Request {
  Method method = Method::get;
  std::string target;                          // as received: "/api/v1/runs?task=a&limit=5"
  std::string path;                            // decoded, without the query: "/api/v1/runs"
  std::map<std::string, std::string> query;    // decoded; a repeated key keeps its last value
  std::map<std::string, std::string> headers;  // names in lower case
  std::map<std::string, std::string> params;   // the route's {name} segments, decoded
  std::string body;
  // Set by the server before the handler runs (http/auth.hpp).
  Role role = Role::none;
  Credential credential = Credential::none;

  // A header by its name in any case; empty when absent.
  std::string header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> query_value(std::string_view name) const;
  const std::string& param(const std::string& name) const;  // throws std::out_of_range
};

// "%2F" and "+" (in a query or form) decoded; a malformed escape is kept as written.
std::string url_decode(std::string_view text, bool plus_is_space);
// "a=1&b=x%20y" -> {a: "1", b: "x y"} (query strings and application/x-www-form-urlencoded).
std::map<std::string, std::string> parse_form(std::string_view text);
// Splits a target into path and query (both decoded) into `request`.
void set_target(Request& request, std::string target);

}  // namespace maintd::http
