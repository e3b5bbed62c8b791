#pragma once
// Routes: a method and a path pattern whose `{name}` segments match one path segment each
// ("/api/v1/runs/{id}"), and what a caller must have proved to reach it. The server
// authenticates the request (http/auth.hpp), then the router finds the route:
//   no path matches                -> 404 JSON
//   the path matches, not the verb -> 405 JSON with Allow
//   the caller lacks the access    -> 401 / 403 JSON (Access::open routes are never refused)
//   maintd is still starting       -> 503 JSON with Retry-After (hold_until), but the probes
// Routes are matched in the order they were added; literal segments and patterns are not ranked,
// so add "/runs/latest" before "/runs/{id}" if both exist.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace maintd::http {

class Auth;

enum class Access {
  open,   // anyone: /healthz, the dashboard's login page (which may check auth itself)
  read,   // the read-only token or the read-write one
  write,  // the read-write token; with a cookie, a valid CSRF token as well
};

// What a route is to the server. The probes answer whatever state maintd is in, and at once.
enum class RouteKind {
  // Held (503 with Retry-After) while maintd starts, its tasks not loaded nor its loop running;
  // may wait on the state database, so it runs on the server's blocking threads.
  regular,
  // /healthz and /readyz: answered while maintd starts too (they say themselves whether it is
  // ready), and never waiting on the state database, so answered on the threads that read the
  // requests, whatever the database does.
  probe,
};

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // Adds a route. `pattern` starts with "/"; "{name}" must be a whole segment.
  void add(Method method, std::string pattern, Handler handler, Access access = Access::read,
           RouteKind kind = RouteKind::regular);

  // Until `started` returns true, regular routes answer 503 with Retry-After instead of what an
  // empty task set would say (404 "no task named ..."). Checked after access: a caller without
  // a token still gets its 401. Not set: nothing is held.
  void hold_until(std::function<bool()> started);

  // Whether the route `request` goes to may wait on the state database (false when no route
  // matches: the 404 or 405 answer waits for nothing).
  bool may_wait(const Request& request) const;

  // Finds the route for `request`, fills request.params, checks access with `auth` (null: no
  // check) and runs the handler. Exceptions from handlers are the server's to catch.
  Response dispatch(Request& request, const Auth* auth) const;

  // The methods that some route accepts for `path` ("GET, POST"), empty when none.
  std::string allowed(const std::string& path) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;  // "{name}" for a parameter
    Handler handler;
    Access access;
    RouteKind kind;
  };
  static bool match(const Route& route, const std::vector<std::string>& segments,
                    std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
  std::function<bool()> started_;
};

// "/a/b/" -> {"a", "b"} (empty segments dropped).
std::vector<std::string> split_path(const std::string& path);

}  // namespace maintd::http
