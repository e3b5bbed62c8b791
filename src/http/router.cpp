// Route matching: 404 for an unknown path, 405 with Allow for a known path and another method,
// then the access check, then the hold while maintd starts, then the handler.
#include "http/router.hpp"

#include <set>

#include "http/auth.hpp"

namespace maintd::http {
namespace {

bool is_parameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// HEAD is answered by the GET route (the server sends no body).
bool method_matches(Method route, Method request) {
  return route == request || (route == Method::get && request == Method::head);
}

}  // namespace

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

void Router::add(Method method, std::string pattern, Handler handler, Access access,
                 RouteKind kind) {
  routes_.push_back(Route{method, split_path(pattern), std::move(handler), access, kind});
}

void Router::hold_until(std::function<bool()> started) {
  started_ = std::move(started);
}

bool Router::may_wait(const Request& request) const {
  const auto segments = split_path(request.path);
  for (const Route& route : routes_) {
    if (!match(route, segments, nullptr) || !method_matches(route.method, request.method)) {
      continue;
    }
    return route.kind == RouteKind::regular;
  }
  return false;
}

bool Router::match(const Route& route, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (is_parameter(want)) {
      found[want.substr(1, want.size() - 2)] = segments[i];
    } else if (want != segments[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

std::string Router::allowed(const std::string& path) const {
  const auto segments = split_path(path);
  std::set<std::string_view> methods;
  for (const Route& route : routes_) {
    if (!match(route, segments, nullptr)) continue;
    methods.insert(to_string(route.method));
    if (route.method == Method::get) methods.insert("HEAD");
  }
  std::string out;
  for (std::string_view method : methods) {
    if (!out.empty()) out += ", ";
    out += method;
  }
  return out;
}

Response Router::dispatch(Request& request, const Auth* auth) const {
  const auto segments = split_path(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!match(route, segments, &params)) continue;
    path_known = true;
    if (!method_matches(route.method, request.method)) continue;
    if (auth != nullptr) {
      const Decision decision = auth->authorize(request, route.access);
      if (!decision.allowed) return Auth::refusal(decision);
    }
    if (route.kind == RouteKind::regular && started_ && !started_()) {
      return retry_later_response("starting", "maintd is starting: its tasks are not loaded yet");
    }
    request.params = std::move(params);
    return route.handler(request);
  }
  if (!path_known) {
    return error_response(404, "no such endpoint: " + request.path);
  }
  const std::string allow = allowed(request.path);
  Response response = error_response(
      405, std::string(to_string(request.method)) + " is not allowed on " + request.path,
      {{"allow", allow}});
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace maintd::http
