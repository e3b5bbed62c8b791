#pragma once
// Routes: a method and a path pattern whose `{name}` segments match one path segment each
// ("/api/v1/runs/{id}"), and what a caller must have proved to reach it. The server
// authenticates the request (http/auth.hpp), then the router finds the route:
//   no path matches                -> 404 JSON
//   the path matches, not the verb -> 405 JSON with Allow
//   the caller lacks the access    -> 401 / 403 JSON (Access::open routes are never refused)
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

// Whether a route's handler may wait on the state database. Those that do run on the server's
// blocking threads; those that do not (the health probes) answer on the threads that read the
// requests, so they answer whatever the database does.
enum class Waits { database, never };

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // Adds a route. `pattern` starts with "/"; "{name}" must be a whole segment.
  void add(Method method, std::string pattern, Handler handler, Access access = Access::read,
           Waits waits = Waits::database);

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
    Waits waits;
  };
  static bool match(const Route& route, const std::vector<std::string>& segments,
                    std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

// "/a/b/" -> {"a", "b"} (empty segments dropped).
std::vector<std::string> split_path(const std::string& path);

}  // namespace maintd::http
