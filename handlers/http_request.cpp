#include "handlers/http_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ascii.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "handlers/http_payload.hpp"
#include "handlers/support/config_keys.hpp"
#include "handlers/support/http_config.hpp"
#include "outbound/client.hpp"
#include "outbound/secrets.hpp"
#include "outbound/url.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::SchemaIssue;
using registry::ValueType;
using std::chrono::milliseconds;

constexpr const char* kType = "http.request";
// Methods that may be repeated without changing more than once (RFC 9110): tried again even
// when a request was sent and no answer came.
const std::vector<std::string> kIdempotent = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};

std::string text_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : json_text(value);
}

// The request a checked config describes, placeholders filled.
struct Planned {
  outbound::Request request;
  outbound::Settings settings;
  json shown_body;  // the body as a dry run reports it: JSON for `json`, else text
};

Planned plan_of(const registry::HandlerContext& context) {
  const json& config = context.config;
  Planned planned;
  auto& request = planned.request;
  request.method = config.value("method", std::string("GET"));
  request.url = config.at("url").get<std::string>();
  request.secret_query_params = secret_query_params(config);
  if (const auto it = config.find("headers"); it != config.end() && it->is_object()) {
    for (const auto& [name, value] : it->items())
      request.headers.emplace_back(name, text_of(value));
  }
  request.bearer_token = optional_text(config, "bearer_token");
  const auto values = run_values(context);
  if (const auto json_body = config.find("json");
      json_body != config.end() && !json_body->is_null()) {
    planned.shown_body = fill_placeholders(*json_body, values);
    request.body = json_text(planned.shown_body);
    request.content_type = "application/json";
  } else if (const auto body = config.find("body"); body != config.end() && body->is_string()) {
    request.body = fill_placeholders(std::string_view(body->get_ref<const std::string&>()), values);
    planned.shown_body = *request.body;
  }
  if (context.dry_run && config.value("dry_run_header", false)) {
    request.headers.emplace_back("X-Maintd-Dry-Run", "1");
  }

  auto& settings = planned.settings;
  settings.timeout =
      std::chrono::seconds(parse_duration(config.value("timeout", std::string("30s"))).value());
  settings.attempts = config.value("attempts", 3);
  if (const auto it = config.find("expect_status"); it != config.end() && it->is_array()) {
    settings.expect_status = it->get<std::vector<long>>();
  }
  settings.ca_file = optional_text(config, "ca_file");
  settings.client_cert = optional_text(config, "client_cert");
  settings.client_key = optional_text(config, "client_key");
  settings.insecure_skip_verify = config.value("insecure_skip_verify", false);
  settings.max_response_bytes =
      static_cast<std::size_t>(config.value("max_response_bytes", 64 * 1024));
  settings.retry_unanswered =
      std::find(kIdempotent.begin(), kIdempotent.end(), request.method) != kIdempotent.end();
  settings.deadline = context.deadline;
  settings.deadline_name = "the task's timeout";
  return planned;
}

// What a dry run says it would send: the headers' secret values masked.
json would_send(const Planned& planned, const outbound::Url& url,
                const outbound::Redactor& redact) {
  json headers = json::object();
  for (const auto& [name, value] : planned.request.headers) {
    headers[name] = outbound::is_secret_header(name) ? "***" : value;
  }
  if (!planned.request.bearer_token.empty()) headers["Authorization"] = "Bearer ***";
  json out = {{"method", planned.request.method}, {"url", url.shown}, {"headers", headers}};
  if (planned.request.body) {
    out["body"] = planned.shown_body.is_string()
                      ? json(redact(planned.shown_body.get_ref<const std::string&>()))
                      : json::parse(redact(json_text(planned.shown_body)));
  }
  return out;
}

std::string bytes_text(std::size_t bytes) {
  return bytes == 1 ? "1 byte" : fmt::format("{} bytes", bytes);
}

json run_request(registry::HandlerContext& context) {
  Planned planned = plan_of(context);
  const auto& request = planned.request;
  const auto url = outbound::parse_url(request.url, request.secret_query_params);
  if (!url) throw std::invalid_argument(fmt::format("{}: url: {}", kType, url.error()));
  const auto redact = outbound::redactor_for(request);
  const std::string what = fmt::format("{} {}", request.method, url->shown);

  if (planned.settings.insecure_skip_verify) {
    context.warning("insecure",
                    fmt::format("insecure_skip_verify: the certificate of {} is not checked: "
                                "anyone on the way can read and change this request",
                                url->origin));
  }
  const bool send_dry_run = context.dry_run && context.config.value("dry_run_header", false);
  if (context.dry_run && !send_dry_run) {
    const auto body_bytes = request.body ? request.body->size() : 0;
    context.info("dry_run", fmt::format("would send {}{}", what,
                                        request.body ? " with " + bytes_text(body_bytes) : ""));
    return {{"dry_run", true}, {"sent", false}, {"would_send", would_send(planned, *url, redact)}};
  }

  context.info("request", send_dry_run ? what + " (dry run: X-Maintd-Dry-Run: 1)" : what);
  outbound::Control control;
  control.stop = context.cancelled;
  control.on_retry = [&](const outbound::RetryNotice& notice) {
    context.warning(
        "retry", fmt::format("attempt {} of {}: {}; trying again in {}{}", notice.attempt,
                             notice.attempts, notice.reason,
                             format_duration(std::chrono::ceil<std::chrono::seconds>(notice.wait)),
                             notice.retry_after ? " (Retry-After)" : ""));
  };
  const auto response = outbound::perform(request, planned.settings, control);
  if (!response) {
    if (response.error().kind == outbound::Failure::Kind::cancelled) {
      // The run is recorded as cancelled or timed out whatever is thrown; say where it stopped.
      throw std::runtime_error(fmt::format("{}: {}", kType, response.error().message));
    }
    throw std::runtime_error(fmt::format("{}: {}", kType, failure_text(response.error())));
  }

  const std::string body = redact(response->body);
  json result = {{"method", request.method},
                 {"url", url->shown},
                 {"status", response->status},
                 {"reason", response->reason},
                 {"attempts", response->attempts},
                 {"redirects", response->redirects},
                 {"duration_ms", response->duration.count()},
                 {"elapsed_ms", response->elapsed.count()},
                 {"content_type", response->content_type},
                 {"bytes", response->body.size()},
                 {"truncated", response->truncated},
                 {"body", response_body(body, response->content_type, response->truncated)}};
  if (response->redirects > 0) result["final_url"] = response->url;
  if (send_dry_run) result["dry_run"] = true;
  const std::string attempts =
      response->attempts > 1 ? fmt::format(", after {} attempts", response->attempts) : "";
  if (response->truncated) {
    context.warning("truncated",
                    fmt::format("the answer was cut at {} (max_response_bytes): the rest was "
                                "not read",
                                bytes_text(planned.settings.max_response_bytes)));
  }
  if (!response->expected) {
    const std::string excerpt = body_excerpt(body);
    const std::string why =
        fmt::format("{}: {}, expected {}{}{}{}", what, response->status_text(),
                    expected_statuses(planned.settings.expect_status),
                    response->not_retried.empty() ? "" : "; " + response->not_retried, attempts,
                    excerpt.empty() ? "" : ": " + excerpt);
    context.log(registry::EventLevel::error, "response", why);
    throw std::runtime_error(fmt::format("{}: {}", kType, why));
  }
  context.info(
      "response",
      fmt::format("{} in {} ms: {}{}{}", response->status_text(), response->duration.count(),
                  bytes_text(response->body.size()),
                  response->content_type.empty() ? "" : " of " + response->content_type, attempts));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The config's rules beyond each key's type.

std::vector<std::string> check_headers(const json& headers, const std::set<std::string>&) {
  return http_header_problems(headers);
}

std::vector<SchemaIssue> check_request(const json& config) {
  std::vector<SchemaIssue> issues;
  const auto has = [&](const char* key) {
    const auto it = config.find(key);
    return it != config.end() && !it->is_null() &&
           !(it->is_string() && it->get_ref<const std::string&>().empty());
  };
  if (auto problem = http_url_problem(config.at("url"), secret_query_params(config))) {
    issues.push_back({"url", *problem});
  }
  if (has("body") && has("json")) {
    issues.push_back({"json", "give 'body' (text) or 'json' (a map sent as JSON), not both"});
  }
  if (has("bearer_token")) {
    const auto headers = config.find("headers");
    if (headers != config.end() && headers->is_object()) {
      for (const auto& [name, value] : headers->items()) {
        if (ascii_iequals(name, "authorization")) {
          issues.push_back(
              {"bearer_token", "give 'bearer_token' or an Authorization header, not both"});
        }
      }
    }
  }
  for (const char* file : {"ca_file", "client_cert", "client_key"}) {
    if (!has(file)) continue;
    if (auto problem = file_path_problem(config.at(file))) issues.push_back({file, *problem});
  }
  if (has("client_cert") != has("client_key")) {
    issues.push_back({has("client_cert") ? "client_key" : "client_cert",
                      "client_cert and client_key go together (mutual TLS): give both"});
  }
  return issues;
}

}  // namespace

void register_http_handlers(registry::Registry& registry) {
  KeySpec url = required("url", ValueType::string,
                         "http:// or https:// URL to call (${VAR} allowed; user info and secret "
                         "query parameters are never shown)");
  KeySpec method = key("method", ValueType::string, "the HTTP method", "GET");
  method.allowed = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  KeySpec headers = key("headers", ValueType::object,
                        "headers to send (NAME_file: a value read from a file); Authorization and "
                        "cookie values are never shown",
                        json::object());
  headers.check_items = check_headers;
  registry.add_handler({
      kType,
      "Calls an HTTP(S) endpoint of the application (retries, TLS, secrets kept out of logs); "
      "the status decides the run and the answer is its result",
      registry::ConfigSchema(
          {
              url,
              method,
              headers,
              optional_key("bearer_token", ValueType::string,
                           "a secret sent as Authorization: Bearer (unset: none)"),
              optional_key(
                  "body", ValueType::string,
                  "the request body as text; {run_id}, {task}, {slot}, {dry_run} filled in"),
              optional_key("json", ValueType::object,
                           "the request body as JSON (Content-Type: application/json); "
                           "placeholders filled in its strings"),
              key("timeout", ValueType::duration, "each attempt at most", "30s", 1, 3600),
              key("attempts", ValueType::integer,
                  "tries after a connection failure, a 5xx or a 429 (Retry-After honoured), "
                  "within the task's timeout",
                  3, 1, 10),
              optional_key("expect_status", ValueType::integer_list,
                           "the statuses that complete the run (unset: any 2xx)", nullptr, 100,
                           599),
              optional_key("ca_file", ValueType::string,
                           "PEM file of the CAs to trust instead of the system's (unset: system)"),
              optional_key("client_cert", ValueType::string,
                           "PEM client certificate for mutual TLS, with client_key"),
              optional_key("client_key", ValueType::string, "PEM private key of client_cert"),
              key("insecure_skip_verify", ValueType::boolean,
                  "do not check the server's certificate (a warning on every run)", false),
              key("max_response_bytes", ValueType::integer,
                  "bytes of the answer kept in the result; the rest is not read", 64 * 1024, 0,
                  1024 * 1024),
              key("secret_query_params", ValueType::string_list,
                  "query parameters whose values are never shown (token, api_key and the like "
                  "always are)",
                  json::array()),
              key("dry_run_header", ValueType::boolean,
                  "a dry run sends the request with X-Maintd-Dry-Run: 1 (false: sends nothing)",
                  false),
          },
          check_request),
      run_request,
      /*check_database=*/{},
      registry::Headline{
          .key = "status",
          .label = "HTTP status",
          .words = {{"status", "HTTP {}", "", true}, {"truncated", "answer truncated"}},
          .none = "",
          .dry_run_words = {{"dry_run", "would send the request"}},
          .dry_run_key = ""},
  });
}

}  // namespace maintd::handlers
