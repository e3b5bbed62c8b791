#include "outbound/url.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/ascii.hpp"
#include "outbound/curl_global.hpp"
#include "outbound/secrets.hpp"

namespace maintd::outbound {
namespace {

constexpr std::string_view kForm = "http://host[:port]/path or https://host[:port]/path";

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// One part of a URL libcurl has read; empty when it has none.
std::string part(CURLU* url, CURLUPart which, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(url, which, &out, flags) != CURLUE_OK || out == nullptr) return {};
  std::string text(out);
  curl_free(out);
  return text;
}

// mask_url, and what it masked.
std::string masked(std::string_view text, const std::vector<std::string>& secret_query_params,
                   std::vector<std::string>* secrets) {
  std::string out(text);
  const auto separator = out.find("://");
  if (separator != std::string::npos) {
    const auto begin = separator + 3;
    auto end = out.find_first_of("/?#", begin);
    if (end == std::string::npos) end = out.size();
    const auto at = out.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= begin && at < end) {
      if (secrets != nullptr) secrets->push_back(out.substr(begin, at - begin));
      out.replace(begin, at - begin, "***");
    }
  }
  const auto query = out.find('?');
  if (query == std::string::npos) return out;
  const auto fragment = out.find('#', query);
  std::string params = out.substr(
      query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
  std::string rewritten;
  std::size_t from = 0;
  while (from <= params.size()) {
    auto end = params.find('&', from);
    if (end == std::string::npos) end = params.size();
    std::string param = params.substr(from, end - from);
    const auto equals = param.find('=');
    if (equals != std::string::npos &&
        is_secret_query_param(std::string_view(param).substr(0, equals), secret_query_params)) {
      if (secrets != nullptr) secrets->push_back(param.substr(equals + 1));
      param = param.substr(0, equals + 1) + "***";
    }
    if (from > 0) rewritten += '&';
    rewritten += param;
    from = end + 1;
  }
  out.replace(query + 1, params.size(), rewritten);
  return out;
}

}  // namespace

std::string mask_url(std::string_view text, const std::vector<std::string>& secret_query_params) {
  return masked(text, secret_query_params, nullptr);
}

Expected<Url, std::string> parse_url(std::string_view text,
                                     const std::vector<std::string>& secret_query_params) {
  ensure_curl_initialised();
  Url out;
  const std::string given(text);
  const std::string shown_given = masked(given, secret_query_params, nullptr);
  if (given.find('\0') != std::string::npos) {
    return Unexpected{fmt::format("'{}' holds a NUL byte ({})", shown_given, kForm)};
  }
  if (given.find("://") == std::string::npos) {
    return Unexpected{fmt::format("'{}' has no scheme ({})", shown_given, kForm)};
  }
  UrlHandle url(curl_url());
  if (!url) throw std::bad_alloc();
  if (const auto code = curl_url_set(url.get(), CURLUPART_URL, given.c_str(), 0);
      code != CURLUE_OK) {
    return Unexpected{fmt::format("'{}' is not a valid URL: {} ({})", shown_given,
                                  curl_url_strerror(code), kForm)};
  }
  out.scheme = ascii_lower(part(url.get(), CURLUPART_SCHEME));
  if (out.scheme != "http" && out.scheme != "https") {
    return Unexpected{fmt::format("'{}': the scheme '{}' is not http or https ({})", shown_given,
                                  out.scheme, kForm)};
  }
  out.host = part(url.get(), CURLUPART_HOST);
  if (out.host.empty()) return Unexpected{fmt::format("'{}' has no host ({})", shown_given, kForm)};
  const std::string port = part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::stoi(port);
  out.has_user_info =
      !part(url.get(), CURLUPART_USER).empty() || !part(url.get(), CURLUPART_PASSWORD).empty();
  const std::string normalised = part(url.get(), CURLUPART_URL);
  masked(given, secret_query_params, &out.secrets);
  out.shown = masked(normalised.empty() ? given : normalised, secret_query_params, &out.secrets);
  std::erase_if(out.secrets, [](const std::string& secret) { return secret.empty(); });
  out.origin = fmt::format("{}://{}:{}", out.scheme, out.host, out.port);
  return out;
}

}  // namespace maintd::outbound
