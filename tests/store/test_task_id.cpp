// Task ids maintd gives the rows it writes (store/task_writes.hpp): UUIDs of version 7, in
// order, so that inserting many appends to the primary key's index.
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>

#include "store/task_writes.hpp"

TEST_CASE("store: task ids are version 7 UUIDs, unique and increasing") {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 20000; ++i) {
    const std::string id = maintd::store::new_task_id();
    REQUIRE_MESSAGE(std::regex_match(id, shape), id);
    CHECK_MESSAGE(id > previous, previous << " then " << id);
    seen.insert(id);
    previous = id;
  }
  CHECK(seen.size() == 20000);
}
