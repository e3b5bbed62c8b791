#pragma once
// Reading one request off the wire as the admin server does: Beast's parser with the server's
// limits, and the Request that route handlers see. Apart from the session so that the API's
// request fuzzer (fuzz/api_request_fuzz.cpp) parses exactly what the server parses.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>

#include "http/request.hpp"

namespace maintd::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Headers carry a token and cookies: generous, but bounded (431 beyond).
inline constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// The server's limits on `parser`: kHeaderLimit, and `body_limit` bytes of body (413 beyond).
void apply_limits(RequestParser& parser, std::uint64_t body_limit);

// A parsed Beast request as route handlers see it: header names in lower case, repeated
// headers joined ("; " for cookies, ", " otherwise), the target split and decoded.
Request to_request(const BeastRequest& message);

}  // namespace maintd::http
