#pragma once
// Database errors of handlers: one exception type, its text from registry/database_error_text.hpp
// (the database's reason, none of the statement's data).
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "registry/database_error_text.hpp"
#include "registry/handler.hpp"

namespace maintd::handlers {

// A statement on a target (or the state) database failed; what() is database_error_text's.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using registry::database_error_text;
using registry::kRedactedLength;

// `handler` with its run (and its live-schema check) reporting every SOCI error that escapes
// them as a DatabaseError with database_error_text's message. builtin_registry() applies it to
// every built-in handler, so a statement run outside TargetSql (a commit, a handler's own
// session) cannot leak its values either.
registry::HandlerInfo reporting_database_errors(registry::HandlerInfo handler);

}  // namespace maintd::handlers
