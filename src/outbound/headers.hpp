#pragma once
// Request headers as configuration gives them (http.request's `headers`, a webhook's): which
// names and values can be sent as they are. Messages about a header never quote its value: it
// may be a secret.
#include <string_view>

namespace maintd::outbound {

// An HTTP token (RFC 9110): letters, digits and !#$%&'*+-.^_`|~, at least one.
bool is_header_name(std::string_view name);

// Headers the client writes itself from the request (Host, Content-Length, Transfer-Encoding,
// Connection): configuring one is refused.
bool is_reserved_header(std::string_view name);

// A value that fits on a header line: no CR, LF or NUL.
bool is_header_value(std::string_view value);

}  // namespace maintd::outbound
