#pragma once
// ASCII case for protocol words (header names, URL schemes, query parameter names, config keys
// that name a secret): never the locale's, which would fold a Turkish 'I' differently.
#include <string>
#include <string_view>

namespace maintd {

// `text` with A-Z made a-z; every other byte as it is.
std::string ascii_lower(std::string_view text);

// The same text but for the case of A-Z.
bool ascii_iequals(std::string_view a, std::string_view b);

}  // namespace maintd
