#include "connection/soci_connect.hpp"

#include <fmt/format.h>
#include <soci/version.h>

#include <algorithm>
#include <cctype>

// See soci_connect.hpp: the encoding below matches how SOCI 4.0's postgresql backend rewrites
// connect strings. A different SOCI rewrites them differently (4.1 drops SOCI 4.0's rebuild but
// requotes values without escaping backslashes): check the new rules, adapt, then this line.
static_assert(SOCI_VERSION / 100 == 4000,
              "soci_postgresql_connect() encodes for SOCI 4.0's postgresql backend; review it for "
              "this SOCI version (and tests/store/test_postgres_connect.cpp)");

namespace maintd::connection {

Expected<std::string, std::string> soci_postgresql_connect(const PgParameters& parameters) {
  std::string out;
  for (const auto& [keyword, value] : parameters.items()) {
    const std::string written = conninfo_value(value);
    const bool has_space = std::any_of(written.begin(), written.end(), [](char c) {
      return std::isspace(static_cast<unsigned char>(c)) != 0;
    });
    if (!out.empty()) out += ' ';
    if (!has_space) {
      out += keyword + '=' + written;
    } else if (written.find('"') == std::string::npos) {
      out += keyword + "=\"" + written + '"';  // SOCI drops the double quotes
    } else {
      return Unexpected{fmt::format(
          "the value of '{}' holds both whitespace and a double quote, which the PostgreSQL "
          "backend of SOCI 4.0 (the database library maintd is built with) cannot pass on "
          "unchanged; change the value",
          keyword)};
    }
  }
  return out;
}

}  // namespace maintd::connection
