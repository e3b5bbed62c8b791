// libFuzzer target: an admin API request, read as the server reads it and checked as the routes
// check it, up to the point where a route would act on the daemon.
//
// An input is the raw bytes a client sends on a connection: Beast's parser with the server's
// limits (http/request_parser.hpp), then the Request the routes see, then every input check a
// route runs: the query's parameters, the body as JSON and as an object of known fields
// (parse_json_object, the depth limit of common/json_parse.hpp), a run's `config` laid over
// each built-in handler's schema (what POST /scheduled-tasks/{name}/run validates), a JSON
// merge patch over a task entry (what PATCH applies), and every answer written as JSON text.
//
// Checked, beyond no crash, no sanitizer report, no timeout and no memory blow-up: every answer
// to bad input is a 4xx with an "error" message (docs/api.md: never a 500 for what a client
// sent), and the body's secrets never reach one (the input is free to quote them itself, so
// only the fixed token below is looked for, in answers to bodies that do not hold it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "common/json_text.hpp"
#include "config/overrides.hpp"
#include "config/redact.hpp"
#include "handlers/builtin.hpp"
#include "http/input.hpp"
#include "http/request_parser.hpp"

namespace {

using nlohmann::json;
using namespace maintd;

// The server's default body limit (config::HttpSettings): 1 MiB.
constexpr std::uint64_t kBodyLimit = 1024 * 1024;

[[noreturn]] void violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "api_request_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// An answer to bad input: a 4xx whose JSON body has an "error" string.
void check_refusal(const http::Response& response) {
  if (response.status < 400 || response.status > 499) {
    violation("a refusal that is not a 4xx", std::to_string(response.status));
  }
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) {
    violation("a refusal without an error message", response.body);
  }
}

const registry::Registry& handlers() {
  static const registry::Registry registry = handlers::builtin_registry();
  return registry;
}

void check_request(http::Request& request) {
  (void)request.header("authorization");
  (void)request.cookie("maintd_session");
  if (auto bad = http::check_query(request, {"task", "status", "limit", "before"})) {
    check_refusal(*bad);
  }
  for (const auto& [name, value] : request.query) {
    auto number = http::integer_parameter(name, value, 1, 1000);
    if (!number) check_refusal(number.error());
  }

  auto patch = http::parse_json_body(request, json());
  if (!patch) {
    check_refusal(patch.error());
  } else if (patch.value().is_object()) {
    json entry = {
        {"name", "t"}, {"type", "debug.noop"}, {"schedule", "@daily"}, {"config", {{"a", 1}}}};
    entry.merge_patch(patch.value());
    (void)json_text(config::redact(entry));
  }

  auto body = http::parse_json_object(request, {"dry_run", "config"});
  if (!body) {
    check_refusal(body.error());
    return;
  }
  const auto config = body.value().find("config");
  if (config == body.value().end() || !config->is_object()) return;
  const std::set<std::string> databases = {"app"};
  for (const auto& type : handlers().types()) {
    auto effective =
        config::apply_overrides(json::object(), *config, type.handler->schema, databases, "config");
    if (effective) {
      (void)json_text(config::redact(effective.value()), 2);
    } else {
      for (const auto& error : effective.error()) {
        if (error.empty()) violation("an empty config error", type.type);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  http::RequestParser parser;
  http::apply_limits(parser, kBodyLimit);
  parser.eager(true);
  boost::beast::error_code error;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // As the server's reads deliver it: whatever the parser takes, until it is done or refuses.
  while (!rest.empty() && !parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), error);
    if (error == bhttp::error::need_more) break;
    if (error) return 0;  // refused: the server answers 400, 413 or 431 and closes
    rest.remove_prefix(used);
    if (used == 0) break;
  }
  if (!parser.is_done()) {
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }
  http::Request request = http::to_request(parser.get());
  check_request(request);
  return 0;
}
