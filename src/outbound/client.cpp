#include "outbound/client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>

#include "common/ascii.hpp"
#include "outbound/curl_global.hpp"
#include "outbound/retry.hpp"
#include "outbound/secrets.hpp"
#include "outbound/url.hpp"

namespace maintd::outbound {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

std::string wait_text(milliseconds wait) {
  return wait.count() % 1000 == 0 ? fmt::format("{}s", wait.count() / 1000)
                                  : fmt::format("{}ms", wait.count());
}

// ---------------------------------------------------------------------------------------------
// One attempt's state, as libcurl's callbacks reach it.

struct Exchange {
  CURL* easy = nullptr;
  std::size_t limit = 0;
  std::string body;
  bool truncated = false;
  std::string reason;  // of the last status line
  // A redirect from https to http, refused before libcurl follows it: where it pointed, shown.
  std::optional<std::string> refused_redirect;
  std::string from_url;  // shown: the URL that answered with it
  const std::vector<std::string>* secret_query_params = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  const std::size_t room = exchange.limit - exchange.body.size();
  if (bytes <= room) {
    exchange.body.append(data, bytes);
    return bytes;
  }
  // Enough: the rest is not read (the transfer ends with CURLE_WRITE_ERROR, which is no error
  // here).
  exchange.body.append(data, room);
  exchange.truncated = true;
  return 0;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // "HTTP/1.1 503 Service Unavailable": the phrase after the code, for people.
    const auto code = line.find(' ');
    const auto phrase = code == std::string_view::npos ? code : line.find(' ', code + 1);
    exchange.reason.clear();
    if (phrase != std::string_view::npos) {
      for (const char c : line.substr(phrase + 1, 80)) {
        exchange.reason += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
      }
    }
    return bytes;
  }
  if (!line.empty()) return bytes;
  // The end of one answer's headers: a redirect from https to http is refused here, before
  // libcurl follows it (CURLOPT_REDIR_PROTOCOLS_STR cannot say "http, but not after https").
  long status = 0;
  curl_easy_getinfo(exchange.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 300 || status > 399) return bytes;
  curl_header* location = nullptr;
  if (curl_easy_header(exchange.easy, "Location", 0, CURLH_HEADER, -1, &location) != CURLHE_OK ||
      location == nullptr || location->value == nullptr) {
    return bytes;
  }
  const char* current = nullptr;
  curl_easy_getinfo(exchange.easy, CURLINFO_EFFECTIVE_URL, &current);
  std::string_view target(location->value);
  while (!target.empty() && target.front() == ' ') target.remove_prefix(1);
  if (current != nullptr && starts_with_nocase(current, "https:") &&
      starts_with_nocase(target, "http:")) {
    exchange.refused_redirect = mask_url(target, *exchange.secret_query_params);
    exchange.from_url = mask_url(current, *exchange.secret_query_params);
    return 0;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The handle of a request, set up once for all its attempts.

class Transfer {
 public:
  Transfer(const Request& request, const Settings& settings)
      : request_(request), settings_(settings) {
    easy_.reset(curl_easy_init());
    multi_.reset(curl_multi_init());
    if (!easy_ || !multi_) throw std::bad_alloc();
  }

  // Why the request cannot be made, if it cannot (CURLOPT_* refused: a bad method or header).
  std::optional<std::string> set_up() {
    CURL* easy = easy_.get();
    error_[0] = '\0';
    bool ok = true;
    auto set = [&](CURLoption option, auto value) {
      if (ok && curl_easy_setopt(easy, option, value) != CURLE_OK) ok = false;
    };
    set(CURLOPT_ERRORBUFFER, error_.data());
    set(CURLOPT_URL, request_.url.c_str());
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, settings_.max_redirects > 0 ? 1L : 0L);
    set(CURLOPT_MAXREDIRS, static_cast<long>(settings_.max_redirects));
    // Signals are no way to time out a thread of a multi-threaded daemon.
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    set(CURLOPT_USERAGENT, settings_.user_agent.c_str());
    set(CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl decodes; the limit counts decoded bytes
    set(CURLOPT_WRITEFUNCTION, on_body);
    set(CURLOPT_WRITEDATA, &exchange_);
    set(CURLOPT_HEADERFUNCTION, on_header);
    set(CURLOPT_HEADERDATA, &exchange_);
    if (!ok) return "libcurl refused an option";

    const std::string& method = request_.method;
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (method == "POST") {
      set(CURLOPT_POST, 1L);  // not CUSTOMREQUEST: a 303 after a POST is followed with a GET
    } else if (method != "GET") {
      set(CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (request_.body || method == "POST") {
      const std::string& body = request_.body ? *request_.body : empty_;
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      set(CURLOPT_POSTFIELDS, body.c_str());
      if (method == "GET") set(CURLOPT_CUSTOMREQUEST, "GET");
    }

    bool content_type_given = false;
    auto append = [&](const std::string& line) {
      curl_slist* grown = curl_slist_append(headers_.get(), line.c_str());
      if (grown == nullptr) throw std::bad_alloc();
      (void)headers_.release();  // the same list, one item longer
      headers_.reset(grown);
    };
    for (const auto& [name, value] : request_.headers) {
      if (ascii_iequals(name, "Content-Type")) content_type_given = true;
      // "Name;" is libcurl's way to send a header with an empty value.
      append(value.empty() ? name + ";" : name + ": " + value);
    }
    if (request_.body && !content_type_given && !request_.content_type.empty()) {
      append("Content-Type: " + request_.content_type);
    }
    append("Expect:");  // no 100-continue round trip before a body
    set(CURLOPT_HTTPHEADER, headers_.get());
    if (!request_.bearer_token.empty()) {
      // libcurl's bearer: like any credentials it sends, never to another host on a redirect.
      set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
      set(CURLOPT_XOAUTH2_BEARER, request_.bearer_token.c_str());
    }
    if (!settings_.ca_file.empty()) set(CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.client_cert.empty()) set(CURLOPT_SSLCERT, settings_.client_cert.c_str());
    if (!settings_.client_key.empty()) set(CURLOPT_SSLKEY, settings_.client_key.c_str());
    if (settings_.insecure_skip_verify) {
      set(CURLOPT_SSL_VERIFYPEER, 0L);
      set(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!ok) return "libcurl refused an option";
    return std::nullopt;
  }

  struct Attempt {
    CURLcode code = CURLE_OK;
    bool cancelled = false;
    std::string error;  // what libcurl said, with its error buffer
  };

  // One attempt, until it ends or `stop`. The stop token's callback wakes curl_multi_poll, so a
  // cancel is heard at once, whatever libcurl is waiting for.
  Attempt run(const std::stop_token& stop) {
    exchange_ = Exchange{};
    exchange_.easy = easy_.get();
    exchange_.limit = settings_.max_response_bytes;
    exchange_.secret_query_params = &request_.secret_query_params;
    error_[0] = '\0';
    Attempt attempt;
    CURLM* multi = multi_.get();
    if (const auto added = curl_multi_add_handle(multi, easy_.get()); added != CURLM_OK) {
      attempt.code = CURLE_FAILED_INIT;
      attempt.error = curl_multi_strerror(added);
      return attempt;
    }
    {
      const std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
      while (true) {
        if (stop.stop_requested()) {
          attempt.cancelled = true;
          break;
        }
        int running = 0;
        CURLMcode code = curl_multi_perform(multi, &running);
        if (code == CURLM_OK && running == 0) break;
        if (code == CURLM_OK) code = curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
        if (code != CURLM_OK) {
          attempt.code = CURLE_FAILED_INIT;
          attempt.error = curl_multi_strerror(code);
          break;
        }
      }
    }
    if (!attempt.cancelled && attempt.error.empty()) {
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == easy_.get()) {
          attempt.code = message->data.result;
        }
      }
      if (attempt.code != CURLE_OK) attempt.error = reason_of(attempt.code);
    }
    curl_multi_remove_handle(multi, easy_.get());
    return attempt;
  }

  CURL* easy() const { return easy_.get(); }
  Exchange& exchange() { return exchange_; }

 private:
  // libcurl's reason: curl_easy_strerror, then its error buffer (which often ends with the same
  // words: said once), then for a connection the system's reason ("Connection refused"), which
  // the buffer leaves out.
  std::string reason_of(CURLcode code) const {
    std::string reason = curl_easy_strerror(code);
    std::string buffer(error_.data());
    while (!buffer.empty() && (buffer.back() == '\n' || buffer.back() == ' ')) buffer.pop_back();
    if (buffer.ends_with(": " + reason)) buffer.resize(buffer.size() - reason.size() - 2);
    if (!buffer.empty() && buffer != reason) reason += ": " + buffer;
    long os_errno = 0;
    if ((code == CURLE_COULDNT_CONNECT || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR) &&
        curl_easy_getinfo(easy_.get(), CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0) {
      reason +=
          ": " + std::error_code(static_cast<int>(os_errno), std::generic_category()).message();
    }
    return reason;
  }

  const Request& request_;
  const Settings& settings_;
  Easy easy_;
  Multi multi_;
  HeaderList headers_;
  Exchange exchange_;
  std::array<char, CURL_ERROR_SIZE + 1> error_{};
  const std::string empty_;
};

Failure::Kind kind_of(CURLcode code, const std::string& error) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Failure::Kind::resolve;
    case CURLE_COULDNT_CONNECT:
      return Failure::Kind::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return Failure::Kind::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return Failure::Kind::tls;
    case CURLE_TOO_MANY_REDIRECTS:
      return Failure::Kind::redirect;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return Failure::Kind::invalid;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      // With TLS 1.3 a server that wants a client certificate says so after the handshake, in
      // an alert the first read meets.
      return error.find("SSL") != std::string::npos ? Failure::Kind::tls : Failure::Kind::transfer;
    default:
      return Failure::Kind::transfer;
  }
}

bool status_expected(long status, const std::vector<long>& expect) {
  if (expect.empty()) return status >= 200 && status <= 299;
  return std::find(expect.begin(), expect.end(), status) != expect.end();
}

milliseconds whole_ms(std::chrono::nanoseconds duration) {
  return std::chrono::duration_cast<milliseconds>(duration);
}

bool wait_on(const std::stop_token& stop, milliseconds delay) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace

std::string Response::status_text() const {
  return reason.empty() ? fmt::format("HTTP {}", status)
                        : fmt::format("HTTP {} {}", status, reason);
}

Redactor redactor_for(const Request& request) {
  Redactor redact;
  if (const auto url = parse_url(request.url, request.secret_query_params)) {
    for (const auto& secret : url->secrets) redact.add(secret);
  }
  redact.add(request.bearer_token);
  for (const auto& [name, value] : request.headers) {
    if (is_secret_header(name)) redact.add(value);
  }
  return redact;
}

std::string attempts_text(int attempts) {
  return attempts == 1 ? "1 attempt" : fmt::format("{} attempts", attempts);
}

std::string_view to_string(Failure::Kind kind) {
  switch (kind) {
    case Failure::Kind::invalid:
      return "invalid";
    case Failure::Kind::resolve:
      return "resolve";
    case Failure::Kind::connect:
      return "connect";
    case Failure::Kind::timeout:
      return "timeout";
    case Failure::Kind::tls:
      return "tls";
    case Failure::Kind::redirect:
      return "redirect";
    case Failure::Kind::cancelled:
      return "cancelled";
    case Failure::Kind::transfer:
      return "transfer";
  }
  return "transfer";
}

Expected<Response, Failure> perform(const Request& request, const Settings& settings,
                                    const Control& control) {
  ensure_curl_initialised();
  const auto now = [&] { return control.now ? control.now() : Steady::now(); };
  const auto started = now();
  const std::string shown_url = mask_url(request.url, request.secret_query_params);
  const std::string what = fmt::format("{} {}", request.method, shown_url);
  auto failure = [&](Failure::Kind kind, std::string reason, int attempts) {
    Failure out;
    out.kind = kind;
    out.message = attempts == 0 ? fmt::format("{}: {}", what, reason)
                                : fmt::format("{}: {} ({})", what, reason, attempts_text(attempts));
    out.reason = std::move(reason);
    out.attempts = attempts;
    return Unexpected{std::move(out)};
  };

  const auto url = parse_url(request.url, request.secret_query_params);
  if (!url) return failure(Failure::Kind::invalid, url.error(), 0);
  const Redactor redact = redactor_for(request);

  Transfer transfer(request, settings);
  if (auto problem = transfer.set_up()) return failure(Failure::Kind::invalid, *problem, 0);
  const int attempts = std::max(settings.attempts, 1);
  for (int attempt = 1;; ++attempt) {
    if (control.stop.stop_requested()) {
      return failure(Failure::Kind::cancelled, "cancelled", attempt - 1);
    }
    const auto result = transfer.run(control.stop);
    if (result.cancelled) return failure(Failure::Kind::cancelled, "cancelled", attempt);
    Exchange& exchange = transfer.exchange();
    CURL* easy = transfer.easy();

    std::string retry_reason;
    std::optional<milliseconds> retry_after;
    std::optional<Response> answer;
    std::optional<Failure> failed;
    if (exchange.refused_redirect) {
      return failure(Failure::Kind::redirect,
                     fmt::format("the redirect from {} to {} was not followed: maintd never "
                                 "follows a redirect from https to http",
                                 exchange.from_url, *exchange.refused_redirect),
                     attempt);
    }
    if (result.code == CURLE_OK || (result.code == CURLE_WRITE_ERROR && exchange.truncated)) {
      Response response;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
      const char* content_type = nullptr;
      if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
          content_type != nullptr) {
        response.content_type = content_type;
      }
      long redirects = 0;
      curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
      response.redirects = static_cast<int>(redirects);
      const char* effective = nullptr;
      curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
      response.url =
          effective != nullptr ? mask_url(effective, request.secret_query_params) : url->shown;
      curl_off_t total = 0;
      curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
      response.duration = milliseconds(total / 1000);
      response.reason = exchange.reason;
      response.body = std::move(exchange.body);
      response.truncated = exchange.truncated;
      response.expected = status_expected(response.status, settings.expect_status);
      response.attempts = attempt;
      if (response.expected || !retryable_status(response.status) || attempt == attempts) {
        response.elapsed = whole_ms(now() - started);
        return response;
      }
      retry_reason = response.status_text();
      curl_header* header = nullptr;
      if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK &&
          header != nullptr && header->value != nullptr) {
        if (const auto wait = parse_retry_after(header->value, std::chrono::system_clock::now())) {
          retry_after =
              *wait >= std::chrono::duration_cast<std::chrono::seconds>(milliseconds::max())
                  ? milliseconds::max()
                  : std::chrono::duration_cast<milliseconds>(*wait);
        }
      }
      answer = std::move(response);
    } else {
      const auto kind = kind_of(result.code, result.error);
      curl_off_t sent = 0;
      curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent);
      const bool unsent =
          sent == 0 && (kind == Failure::Kind::resolve || kind == Failure::Kind::connect ||
                        kind == Failure::Kind::timeout);
      const bool unanswered = kind == Failure::Kind::timeout || kind == Failure::Kind::transfer;
      const bool retry = unsent || (settings.retry_unanswered && unanswered);
      if (!retry || attempt == attempts) return failure(kind, redact(result.error), attempt);
      retry_reason = redact(result.error);
      Failure last;
      last.kind = kind;
      last.reason = retry_reason;
      failed = std::move(last);
    }

    // Another attempt, after a wait: the server's Retry-After, or the backoff.
    const milliseconds wait =
        retry_after.value_or(backoff_before(attempt + 1, settings.backoff, settings.max_backoff));
    std::string stopped;
    if (retry_after && *retry_after > settings.max_retry_after) {
      stopped = fmt::format(
          "not tried again: the server asked to wait {} (Retry-After), more than {} (the most "
          "maintd waits)",
          retry_after->count() == milliseconds::max().count() ? "for ever"
                                                              : wait_text(*retry_after),
          wait_text(std::chrono::duration_cast<milliseconds>(settings.max_retry_after)));
    } else if (settings.deadline && now() + wait >= *settings.deadline) {
      stopped = fmt::format("not tried again: attempt {} would start after {}, in {}", attempt + 1,
                            settings.deadline_name, wait_text(wait));
    }
    if (!stopped.empty()) {
      if (answer) {
        answer->not_retried = std::move(stopped);
        answer->elapsed = whole_ms(now() - started);
        return std::move(*answer);
      }
      return failure(failed->kind, failed->reason + "; " + stopped, attempt);
    }
    if (control.on_retry) {
      control.on_retry(RetryNotice{attempt, attempts, retry_reason, wait, retry_after.has_value()});
    }
    const bool waited = control.wait ? control.wait(wait) : wait_on(control.stop, wait);
    if (!waited || control.stop.stop_requested()) {
      return failure(Failure::Kind::cancelled,
                     fmt::format("cancelled while waiting to try again after: {}", retry_reason),
                     attempt);
    }
  }
}

}  // namespace maintd::outbound
