#pragma once
// The built-in registry plus `test.schema`, a handler whose schema has every kind of key, so
// config validation can be tested before the real handlers exist.
#include "handlers/builtin.hpp"
#include "registry/registry.hpp"

namespace maintd::testing {

inline registry::Registry test_registry() {
  using registry::KeySpec;
  using registry::ValueType;
  registry::Registry r = handlers::builtin_registry();
  r.add_handler(
      {"test.schema", "A handler for tests: every kind of key",
       registry::ConfigSchema({
           KeySpec{"table", ValueType::identifier, "the table to clean", true, {}, {}, {}, {}},
           KeySpec{"database", ValueType::database, "the target database", true, {}, {}, {}, {}},
           KeySpec{"limit", ValueType::integer, "rows per batch", false, 100, 1, 1000, {}},
           KeySpec{"mode", ValueType::string, "how", false, "dry", {}, {}, {"dry", "wet"}},
           KeySpec{"columns", ValueType::string_list, "columns to show", false, {}, {}, {}, {}},
       }),
       [](registry::HandlerContext&) { return nlohmann::json::object(); }});
  return r;
}

}  // namespace maintd::testing
