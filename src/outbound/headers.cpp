#include "outbound/headers.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string>

#include "common/ascii.hpp"

namespace maintd::outbound {

bool is_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c != '\0' && (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
  });
}

bool is_reserved_header(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kReserved = {"host", "content-length",
                                                                "transfer-encoding", "connection"};
  return std::find(kReserved.begin(), kReserved.end(), ascii_lower(name)) != kReserved.end();
}

bool is_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace maintd::outbound
