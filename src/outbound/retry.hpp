#pragma once
// When an attempt that failed is tried again, and how long after it: the rules of
// outbound::perform, apart so that they are tested without a server.
#include <chrono>
#include <optional>
#include <string_view>

namespace maintd::outbound {

// An answer worth another attempt: 429 Too Many Requests and the 5xx (the server had trouble,
// and may not have). Other answers are the server's final word.
bool retryable_status(long status);

// A Retry-After header's value: delay-seconds ("120") or an HTTP-date (read by libcurl's
// curl_getdate), as a wait from `now` (0 for a date that has passed). Empty for anything else.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// The wait before attempt `attempt` (2 or more) without a Retry-After: `first`, then doubled
// each time, at most `longest`.
std::chrono::milliseconds backoff_before(int attempt, std::chrono::milliseconds first,
                                         std::chrono::milliseconds longest);

}  // namespace maintd::outbound
