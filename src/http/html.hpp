#pragma once
// HTML text for the dashboard: everything a page shows that came from outside (task names,
// errors, events, flash messages) goes through escape(); everything put into a link goes through
// url_encode(). Decoding (forms, queries, cookies) is http/request.hpp's.
#include <string>
#include <string_view>

namespace maintd::http::html {

// `&`, `<`, `>`, `"` and `'` as character references: safe in element content and in quoted
// attribute values.
std::string escape(std::string_view text);
void append_escaped(std::string& out, std::string_view text);

// Percent-encodes every byte outside the unreserved set (RFC 3986: A-Z a-z 0-9 - . _ ~): safe
// as one path segment or one query value, and (as it has no `&`, `<`, `"`) in an attribute.
std::string url_encode(std::string_view text);

}  // namespace maintd::http::html
