#pragma once
// Outbound URLs: read by libcurl's URL parser (the one that will fetch them), held to maintd's
// rules (http or https, a host), and shown without their secrets.
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace maintd::outbound {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name or an address (IPv6 in brackets)
  int port = 0;        // the scheme's default when the URL gives none
  bool has_user_info = false;
  // The URL as logs, events, errors and --json may show it: user info and the values of secret
  // query parameters replaced by *** (mask_url).
  std::string shown;
  // "https://host:port": where it goes, with no path, query or user info.
  std::string origin;
  // What shown leaves out (the user info, the secret query values), for a Redactor.
  std::vector<std::string> secrets;
};

// `text` taken apart, or why it cannot be fetched: not a URL (libcurl's reason), a scheme other
// than http and https, no host. An error shows the URL masked.
Expected<Url, std::string> parse_url(std::string_view text,
                                     const std::vector<std::string>& secret_query_params = {});

// `text` (a URL, or what should have been one) with everything between "://" and the last '@'
// of its authority replaced by ***, and the value of every query parameter that
// is_secret_query_param names replaced by ***. Works on text libcurl would refuse too, so that
// an error about a malformed URL can show it.
std::string mask_url(std::string_view text,
                     const std::vector<std::string>& secret_query_params = {});

}  // namespace maintd::outbound
