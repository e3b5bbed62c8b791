#pragma once
// What the store tests stand on: the two backends (support/backends.hpp: every body runs on
// SQLite and on a real PostgreSQL), the hand-moved clock (support/test_clock.hpp), and a few
// helpers for reading what the store wrote.
//
//   TEST_CASE_TEMPLATE("store: runs: ...", Backend, MAINTD_BACKENDS) {
//     Backend backend; auto db = open_migrated(backend); ...
//   }
#include <doctest/doctest.h>

#include <string>

#include "store/run_store.hpp"
#include "store/timestamp.hpp"
#include "support/backends.hpp"
#include "support/test_clock.hpp"
#include "support/text.hpp"

namespace maintd::testing {

// The message of the E that `body` throws; fails the test when it throws nothing.
template <class E, class F>
std::string thrown_message(F&& body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("nothing was thrown");
  return {};
}

}  // namespace maintd::testing
