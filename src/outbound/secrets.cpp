#include "outbound/secrets.hpp"

#include <algorithm>
#include <array>

#include "common/ascii.hpp"

namespace maintd::outbound {
namespace {

bool names_a_secret(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "token", "secret", "password", "passwd", "api-key", "api_key", "apikey", "session"};
  const std::string text = ascii_lower(name);
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view word) { return text.find(word) != std::string::npos; });
}

}  // namespace

bool is_secret_header(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kHeaders = {
      "authorization", "proxy-authorization", "cookie", "set-cookie"};
  const std::string text = ascii_lower(name);
  return std::find(kHeaders.begin(), kHeaders.end(), text) != kHeaders.end() ||
         names_a_secret(text);
}

bool is_secret_query_param(std::string_view name, const std::vector<std::string>& listed) {
  // Whole names only: "key" is a secret, "monkey" or "keyword" are not.
  static constexpr std::array<std::string_view, 4> kNames = {"key", "sig", "signature", "auth"};
  const std::string text = ascii_lower(name);
  return names_a_secret(text) || std::find(kNames.begin(), kNames.end(), text) != kNames.end() ||
         std::any_of(listed.begin(), listed.end(),
                     [&](const std::string& secret) { return ascii_lower(secret) == text; });
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < kShortest) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

}  // namespace maintd::outbound
