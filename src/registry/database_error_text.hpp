#pragma once
// How a database error becomes a message, for the state database and every handler alike: the
// database's own reason, on one line, and nothing of the data the statement carried. A run's
// error, its events, the process log and maintd's own store errors all get their text from
// here, so nothing can print a bound value (a secret, a user's data) by passing an exception's
// what() along.
//
// What is left out:
// - what SOCI appends to its messages: the statement and every value bound to it
//   (`while executing "UPDATE ..." with :message="...", :id="1"`);
// - PostgreSQL's pointer into the statement ("LINE 1: ...", "^") and its DETAIL lines, which
//   quote row values ("Key (token)=(...) already exists", "Failing row contains (...)");
// - the name of SOCI's SQLite backend function ("sqlite3_statement_backend::prepare: ");
// - any value bound to the failed statement that the reason quotes anyway (PostgreSQL's
//   `invalid input syntax for type integer: "..."`), when the values are known (TargetSql
//   passes them): replaced by "<bound value>". Values shorter than kRedactedLength are left, as
//   they would mangle the reason ("1" is in many messages) and hide nothing.
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

namespace maintd::registry {

inline constexpr std::size_t kRedactedLength = 4;

// The reason for `e` as above; `bound`: the values bound to the statement that failed, if known.
// Any other exception's what() goes through the same line filter.
std::string database_error_text(const std::exception& e,
                                const std::vector<std::string>& bound = {});

}  // namespace maintd::registry
