#pragma once
// What of an outbound request is secret, and text with those secrets masked. A request's secrets
// are its bearer token, the values of its Authorization and cookie headers (and of any header
// whose name says it holds a secret), the user info of its URL and the values of its secret
// query parameters: none of them may reach a log line, a run's event, an error or --json.
#include <string>
#include <string_view>
#include <vector>

namespace maintd::outbound {

// Authorization, Proxy-Authorization, Cookie, Set-Cookie, and names that hold "token",
// "secret", "password", "passwd", "api-key"/"api_key"/"apikey" or "session" (any case).
bool is_secret_header(std::string_view name);

// A query parameter whose value is masked wherever its URL is shown: one of `listed` (the
// configuration's secret_query_params, any case), a name that says it holds a secret as a
// header's would (token, access_token, api_key, password, ...), or key, sig, signature, auth.
bool is_secret_query_param(std::string_view name, const std::vector<std::string>& listed);

// Replaces each secret it was given by "***" in any text: for what a peer or libcurl writes
// (an error buffer, a response quoted in an error), which may repeat what was sent.
class Redactor {
 public:
  // Secrets shorter than kShortest are not masked in free text: "1" or "on" would mangle
  // every message, and cannot be told from ordinary words anyway.
  static constexpr std::size_t kShortest = 4;

  void add(std::string_view secret);
  std::string operator()(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first, so that a secret inside another goes too
};

}  // namespace maintd::outbound
