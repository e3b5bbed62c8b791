#include "config/redact.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "common/ascii.hpp"
#include "connection/database_url.hpp"
#include "outbound/url.hpp"

namespace maintd::config {
namespace {

bool names_a_secret(const std::string& key) {
  static constexpr std::array<std::string_view, 9> kSecretWords = {
      "password", "passwd", "token",  "secret",       "api_key",
      "api-key",  "apikey", "cookie", "authorization"};
  const std::string text = ascii_lower(key);
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return text.find(word) != std::string::npos; });
}

bool is_http_url(const std::string& text) {
  const std::string start = ascii_lower(std::string_view(text).substr(0, 8));
  return start.starts_with("http://") || start.starts_with("https://");
}

nlohmann::json redacted(const nlohmann::json& value, std::vector<std::string> secret_params) {
  if (value.is_object()) {
    if (const auto listed = value.find("secret_query_params");
        listed != value.end() && listed->is_array()) {
      for (const auto& name : *listed) {
        if (name.is_string()) secret_params.push_back(name.get<std::string>());
      }
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, child] : value.items()) {
      // secret_query_params lists names, not secrets.
      const bool secret = names_a_secret(key) && key != "secret_query_params";
      out[key] =
          secret && !child.is_null() ? nlohmann::json("***") : redacted(child, secret_params);
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& child : value) out.push_back(redacted(child, secret_params));
    return out;
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (is_http_url(text)) return outbound::mask_url(text, secret_params);
    return connection::mask_secrets(text);
  }
  return value;
}

}  // namespace

nlohmann::json redact(const nlohmann::json& value) {
  return redacted(value, {});
}

}  // namespace maintd::config
