#pragma once
// JSON as text, for everything that leaves the process: the state database, alerts, the API,
// the CLI's --json output, log lines.
//
// Strings inside a value are not guaranteed to be UTF-8: a target database's Latin-1 row, a
// program's output, a database error quoting the bytes it choked on. nlohmann's default dump()
// throws type_error 316 on them, which would fail a run's record, drop an alert or end the
// process for a byte nobody controls; here the bad bytes become U+FFFD instead.
#include <nlohmann/json.hpp>
#include <string>

namespace maintd {

// `indent` as dump()'s: -1 for one line, 2 for the CLI's pretty output.
template <class Json>
std::string json_text(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace maintd
