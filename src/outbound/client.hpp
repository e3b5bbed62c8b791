#pragma once
// maintd's one outbound HTTP(S) client, on libcurl: the http.request handler, webhook alerts and
// health.report's http probes all call perform(). One call is one request, tried again as
// Settings say, that a stop token aborts at once (curl_multi_poll woken by curl_multi_wakeup:
// no blocking call that cannot hear a cancel), and whose secrets never reach what it returns.
//
// TLS is verified by default (the system's CAs, or `ca_file`); redirects are followed up to
// `max_redirects` times, never from https to http; an answer is read up to
// `max_response_bytes` and the transfer ends there. Proxies are taken from the environment
// (https_proxy, no_proxy), as libcurl does.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.hpp"
#include "outbound/secrets.hpp"

namespace maintd::outbound {

struct Request {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
  std::string url;             // http:// or https://; may hold secrets (user info, a query)
  // Sent as given; values are never shown. A Content-Type here wins over `content_type`.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  std::string content_type = "text/plain; charset=utf-8";  // of a body, unless headers say
  std::string bearer_token;  // sent as Authorization: Bearer ...; empty: none
  // Query parameters whose values are masked wherever the URL is shown (besides those whose
  // names say they are secret: outbound/secrets.hpp).
  std::vector<std::string> secret_query_params;
};

// How a request is made. The defaults are the http.request handler's (docs/handlers/http.md).
struct Settings {
  // One attempt, all of it: resolving, connecting, TLS, sending, redirects and the whole answer.
  std::chrono::milliseconds timeout{30'000};
  int attempts = 3;  // 1: never tried again
  // The wait before the second attempt, doubled before each next one, at most max_backoff; a
  // Retry-After header replaces it (up to max_retry_after: a server asking for more is not
  // tried again).
  std::chrono::milliseconds backoff{1'000};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds max_retry_after{300'000};
  // Tried again: a request that never reached the server (the name did not resolve, the
  // connection was refused or timed out), and an answer of 429 or 5xx that is not expected.
  // With retry_unanswered, also a request sent that got no answer (a timeout, a connection
  // closed): only for requests that may safely be repeated.
  bool retry_unanswered = false;
  std::vector<long> expect_status;  // the statuses that succeed; empty: any 2xx
  std::string ca_file;              // PEM: the CAs trusted instead of the system's
  std::string client_cert;          // PEM, with client_key: mutual TLS
  std::string client_key;
  bool insecure_skip_verify = false;           // no certificate or host name check
  std::size_t max_response_bytes = 64 * 1024;  // the body kept; the transfer ends there
  int max_redirects = 3;                       // 0: none followed
  // No wait for another attempt ends after it (the task's timeout); `deadline_name` says what
  // it is in the message of a request not tried again because of it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string deadline_name = "the deadline";
  std::string user_agent = "maintd";
};

struct RetryNotice {
  int attempt = 1;  // the attempt that failed
  int attempts = 1;
  std::string reason;  // "HTTP 503 Service Unavailable", "Couldn't connect to server: ..."
  std::chrono::milliseconds wait{0};
  bool retry_after = false;  // the wait is the server's Retry-After
};

// What the caller keeps a hand on while the request runs. Every member is optional.
struct Control {
  std::stop_token stop;  // aborts the attempt in progress at once, and any wait
  std::function<void(const RetryNotice&)> on_retry;  // before each wait
  // Waits before another attempt; false: give up (cancelled). Default: a wait `stop` ends.
  std::function<bool(std::chrono::milliseconds)> wait;
  // The clock of `deadline` and `elapsed`. Default: std::chrono::steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct Response {
  long status = 0;
  std::string reason;  // the status line's phrase ("Service Unavailable"); none over HTTP/2
  std::string content_type;
  std::string body;  // at most max_response_bytes
  bool truncated = false;
  bool expected = false;  // status is one of expect_status (by default: 2xx)
  int attempts = 1;
  int redirects = 0;
  std::string url;                        // where the answer came from (after redirects), shown
  std::chrono::milliseconds duration{0};  // the last attempt
  std::chrono::milliseconds elapsed{0};   // every attempt and the waits between them
  // Why an unexpected answer that could have been tried again was not (a Retry-After too long,
  // the deadline); empty when the attempts ran out or the answer is not retried.
  std::string not_retried;

  std::string status_text() const;  // "HTTP 503 Service Unavailable"
};

struct Failure {
  enum class Kind {
    invalid,    // the request cannot be made: a bad URL, method or header
    resolve,    // the host name has no address
    connect,    // no connection (refused, unreachable)
    timeout,    // an attempt took longer than `timeout`
    tls,        // the TLS handshake failed: an untrusted certificate, a missing client certificate
    redirect,   // more than max_redirects, or from https to http
    cancelled,  // the stop token
    transfer,   // anything else between sending and the end of the answer
  };
  Kind kind = Kind::transfer;
  // "POST https://host/x?token=***: Couldn't connect to server: Failed to connect to host port
  // 443 after 3 ms: Connection refused (3 attempts)": the request, libcurl's reason
  // (curl_easy_strerror and its error buffer), the attempts. No secret.
  std::string message;
  std::string reason;  // the same without the request and the attempts
  int attempts = 0;
};
std::string_view to_string(Failure::Kind kind);

// "1 attempt", "3 attempts": as failures count them.
std::string attempts_text(int attempts);

// A redactor of every secret `request` holds: its URL's user info and secret query values, its
// bearer token, the values of its secret headers (is_secret_header). For what a server sends
// back, which may echo them.
Redactor redactor_for(const Request& request);

// Makes `request`, tried again as `settings` say, until an answer that is not retried (expected
// or not: Response::expected says), a failure that is not retried, the attempts run out, or
// `control.stop`. Never throws for what the network or the server does.
Expected<Response, Failure> perform(const Request& request, const Settings& settings,
                                    const Control& control = {});

}  // namespace maintd::outbound
