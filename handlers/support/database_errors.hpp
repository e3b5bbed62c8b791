#pragma once
// How a database error becomes a message, for every handler: the database's own reason, on one
// line, and nothing of the data the statement carried. A run's error, its events and the process
// log all get their text from here, so no handler can print a bound value (a secret, a user's
// data) by passing an exception's what() along.
//
// What is left out:
// - what SOCI appends to its messages: the statement and every value bound to it
//   (`while executing "UPDATE ..." with :message="...", :id="1"`);
// - PostgreSQL's pointer into the statement ("LINE 1: ...", "^") and its DETAIL lines, which
//   quote row values ("Key (token)=(...) already exists", "Failing row contains (...)");
// - any value bound to the failed statement that the reason quotes anyway (PostgreSQL's
//   `invalid input syntax for type integer: "..."`), when the values are known (TargetSql
//   passes them): replaced by "<bound value>". Values shorter than kRedactedLength are left, as
//   they would mangle the reason ("1" is in many messages) and hide nothing.
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "registry/handler.hpp"

namespace maintd::handlers {

// A statement on a target (or the state) database failed; what() is database_error_text's.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kRedactedLength = 4;

// The reason for `e` as above; `bound`: the values bound to the statement that failed, if known.
// Any other exception's what() goes through the same line filter.
std::string database_error_text(const std::exception& e,
                                const std::vector<std::string>& bound = {});

// `handler` with its run (and its live-schema check) reporting every SOCI error that escapes
// them as a DatabaseError with database_error_text's message. builtin_registry() applies it to
// every built-in handler, so a statement run outside TargetSql (a commit, a handler's own
// session) cannot leak its values either.
registry::HandlerInfo reporting_database_errors(registry::HandlerInfo handler);

}  // namespace maintd::handlers
