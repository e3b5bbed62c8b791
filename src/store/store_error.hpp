#pragma once
// Errors from the state database. Split as the rest of maintd splits them: a StoreUnavailable
// means the database could not be reached or used at all (the CLI exits 3); a StoreError is any
// other failure of a statement. Messages never carry a password: they pass through
// connection::mask_secrets before they are built into the exception.
#include <stdexcept>
#include <string>

namespace maintd::store {

class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& message);
};

class StoreUnavailable : public StoreError {
 public:
  using StoreError::StoreError;
};

// The server did not answer in time: connecting took longer than the connect timeout, or a
// statement got no answer within its limit (the server may be stopped, hung or cut off), or the
// server's own statement_timeout ended it.
class StoreTimeout : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

}  // namespace maintd::store
