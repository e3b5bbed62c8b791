#pragma once
// Text that must be UTF-8 where it goes: PostgreSQL refuses a text value with an invalid byte
// sequence (the whole statement fails, and with it a run's record), and JSON cannot carry one.
// Handlers' messages are not guaranteed to be UTF-8: a program's output, a target database's
// Latin-1 row quoted in an error.
#include <string>
#include <string_view>

namespace maintd {

// `text` with each invalid or truncated UTF-8 sequence replaced by U+FFFD (one per maximal
// invalid subpart, as Unicode recommends and nlohmann's `replace` does). Valid text comes back
// unchanged.
std::string valid_utf8(std::string_view text);

}  // namespace maintd
