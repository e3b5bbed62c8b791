// outbound's URLs (libcurl's parser, maintd's rules, masking) and retry rules (Retry-After,
// backoff, which statuses), without a server.
#include <doctest/doctest.h>

#include <chrono>

#include "outbound/retry.hpp"
#include "outbound/secrets.hpp"
#include "outbound/url.hpp"

using namespace std::chrono_literals;
using namespace maintd::outbound;

TEST_CASE("URLs taken apart by libcurl, shown without secrets") {
  auto url =
      parse_url("https://portal.example.com/api/maintenance/release-expired?timeout_minutes=15");
  REQUIRE(url.has_value());
  CHECK(url->scheme == "https");
  CHECK(url->host == "portal.example.com");
  CHECK(url->port == 443);
  CHECK(url->origin == "https://portal.example.com:443");
  CHECK(url->shown ==
        "https://portal.example.com/api/maintenance/release-expired?timeout_minutes=15");
  CHECK_FALSE(url->has_user_info);
  CHECK(url->secrets.empty());

  url = parse_url("HTTP://[::1]:8080");
  REQUIRE(url.has_value());
  CHECK(url->scheme == "http");
  CHECK(url->host == "[::1]");
  CHECK(url->port == 8080);
  CHECK(url->shown == "http://[::1]:8080/");

  url = parse_url("https://bot:pa55@hooks.example/x?access_token=T0K3N&sig=abc123&page=2", {"sig"});
  REQUIRE(url.has_value());
  CHECK(url->has_user_info);
  CHECK(url->shown == "https://***@hooks.example/x?access_token=***&sig=***&page=2");
  CHECK(url->origin == "https://hooks.example:443");
  CHECK(url->secrets ==
        std::vector<std::string>{"bot:pa55", "T0K3N", "abc123", "bot:pa55", "T0K3N", "abc123"});
}

TEST_CASE("URLs that cannot be fetched, each error masked") {
  const auto error = [](std::string_view text) { return parse_url(text).error(); };
  CHECK(error("ftp://files.example/x") ==
        "'ftp://files.example/x': the scheme 'ftp' is not http or https (http://host[:port]/path "
        "or https://host[:port]/path)");
  CHECK(error("portal.example/x") ==
        "'portal.example/x' has no scheme (http://host[:port]/path or https://host[:port]/path)");
  CHECK(error("https://h:70000/x?token=secret1") ==
        "'https://h:70000/x?token=***' is not a valid URL: Port number was not a decimal number "
        "between 0 and 65535 (http://host[:port]/path or https://host[:port]/path)");
  CHECK(error("https://u:pw@exa mple.com/") ==
        "'https://***@exa mple.com/' is not a valid URL: Bad hostname (http://host[:port]/path or "
        "https://host[:port]/path)");
  CHECK(
      error("https://:80/path") ==
      "'https://:80/path' is not a valid URL: No host part in the URL (http://host[:port]/path or "
      "https://host[:port]/path)");
}

TEST_CASE("mask_url on what may not be a URL at all") {
  CHECK(mask_url("https://a@b@host/p?x=1") == "https://***@host/p?x=1");
  CHECK(mask_url("no url here") == "no url here");
  CHECK(mask_url("/relative?password=x&y") == "/relative?password=***&y");
  CHECK(mask_url("https://h/p?Key=1&KEY=2#frag?token=z", {"key"}) ==
        "https://h/p?Key=***&KEY=***#frag?token=z");
  CHECK(mask_url("https://h/p@x") == "https://h/p@x");  // '@' in the path is no user info
}

TEST_CASE("which headers and parameters are secret, and the redactor") {
  CHECK(is_secret_header("Authorization"));
  CHECK(is_secret_header("cookie"));
  CHECK(is_secret_header("Proxy-Authorization"));
  CHECK(is_secret_header("X-Api-Key"));
  CHECK(is_secret_header("X-Auth-Token"));
  CHECK_FALSE(is_secret_header("Content-Type"));
  CHECK_FALSE(is_secret_header("X-Team"));
  CHECK(is_secret_query_param("access_token", {}));
  CHECK(is_secret_query_param("sig", {"SIG"}));
  CHECK_FALSE(is_secret_query_param("page", {"sig"}));

  Redactor redact;
  redact.add("abc");  // too short to look for in free text
  redact.add("s3cret");
  redact.add("s3cret-longer");
  CHECK(redact("s3cret-longer and s3cret and abc") == "*** and *** and abc");
}

TEST_CASE("Retry-After as seconds or an HTTP date, and the backoff") {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 2015-10-21T07:28:00Z
  CHECK(parse_retry_after("120", now) == 120s);
  CHECK(parse_retry_after(" 0 ", now) == 0s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0s);  // passed
  CHECK(parse_retry_after("99999999999999999999999", now) == std::chrono::seconds::max());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
  CHECK_FALSE(parse_retry_after("", now).has_value());

  CHECK(backoff_before(2, 1s, 30s) == 1s);
  CHECK(backoff_before(3, 1s, 30s) == 2s);
  CHECK(backoff_before(4, 1s, 30s) == 4s);
  CHECK(backoff_before(10, 1s, 30s) == 30s);
  CHECK(backoff_before(1000, 1s, 30s) == 30s);

  CHECK(retryable_status(429));
  CHECK(retryable_status(500));
  CHECK(retryable_status(503));
  CHECK_FALSE(retryable_status(404));
  CHECK_FALSE(retryable_status(200));
  CHECK_FALSE(retryable_status(301));
}
