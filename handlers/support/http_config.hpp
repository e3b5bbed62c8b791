#pragma once
// What http.request and health.report's http probes share about a request's configuration:
// the checks of a URL and of headers (each message names the entry and never quotes a value
// that may be secret), what `expect_status` means in words, and how a failure of the outbound
// client reads in a run's error.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "outbound/client.hpp"

namespace maintd::handlers {

// Why `url` cannot be fetched (outbound::parse_url: not http or https, no host, malformed),
// with the URL masked by `secret_query_params`; nothing when it can.
std::optional<std::string> http_url_problem(const nlohmann::json& url,
                                            const std::vector<std::string>& secret_query_params);

// The problems of a `headers` map: a name that is no HTTP token, a header maintd writes itself,
// a value that is not text or holds a line break. Never the value.
std::vector<std::string> http_header_problems(const nlohmann::json& headers);

// Why a file key (ca_file, client_cert, client_key) cannot be used: not a string, or not an
// absolute path (TLS reads it when the request is made, not beside the configuration).
std::optional<std::string> file_path_problem(const nlohmann::json& path);

// "2xx", or "200 or 204".
std::string expected_statuses(const std::vector<long>& expect_status);

// A failure as a run's error (`with_request`: the method, URL and attempts, as the client's
// message says them) or a probe's reason (the reason alone), with a hint for the configuration
// key that fixes it (an untrusted certificate: ca_file).
std::string failure_text(const outbound::Failure& failure, bool with_request = true);

// The `secret_query_params` of a checked config ([] when absent).
std::vector<std::string> secret_query_params(const nlohmann::json& config);

}  // namespace maintd::handlers
