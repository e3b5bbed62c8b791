#include "outbound/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace maintd::outbound {

bool retryable_status(long status) {
  return status == 429 || (status >= 500 && status <= 599);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long long seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error != std::errc{}) return std::chrono::seconds::max();  // longer than anyone waits
    return std::chrono::seconds(seconds);
  }
  const std::string text(value);
  const time_t at = curl_getdate(text.c_str(), nullptr);
  if (at == -1) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(at) - now;
  return std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds(0));
}

std::chrono::milliseconds backoff_before(int attempt, std::chrono::milliseconds first,
                                         std::chrono::milliseconds longest) {
  auto wait = first;
  for (int i = 2; i < attempt && wait < longest; ++i) wait *= 2;
  return std::min(wait, longest);
}

}  // namespace maintd::outbound
