#include "config/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "connection/database_url.hpp"

namespace maintd::config {
namespace {

bool names_a_secret(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 5> kSecretWords = {"password", "passwd", "token",
                                                                   "secret", "api_key"};
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return key.find(word) != std::string::npos; });
}

}  // namespace

nlohmann::json redact(const nlohmann::json& value) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, child] : value.items()) {
      out[key] = names_a_secret(key) && !child.is_null() ? nlohmann::json("***") : redact(child);
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& child : value) out.push_back(redact(child));
    return out;
  }
  if (value.is_string()) return connection::mask_secrets(value.get<std::string>());
  return value;
}

}  // namespace maintd::config
