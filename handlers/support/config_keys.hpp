#pragma once
// Writing a handler's config schema and reading its schema-checked config: the small helpers
// every handler family would otherwise define for itself.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "registry/schema.hpp"

namespace maintd::handlers {

// An optional key, with its default (null: none) and, for numbers and durations, its range.
registry::KeySpec key(std::string name, registry::ValueType type, std::string description,
                      nlohmann::json default_value = nullptr, std::optional<double> minimum = {},
                      std::optional<double> maximum = {});
// A key every task of the type must give.
registry::KeySpec required(std::string name, registry::ValueType type, std::string description);

// `where`: the operator's extra predicate, ANDed in; trusted input, spliced as written.
registry::KeySpec where_key();
// `batch_size`: rows per batch, each batch its own short transaction.
registry::KeySpec batch_size_key(long long default_size, long long maximum = 100000,
                                 const char* unit = "rows");

// The string at `key`, or "" when it is absent or null (an optional column, a `where:`).
std::string optional_text(const nlohmann::json& config, const char* key);

// The identifier at `key`, quoted (target_sql.hpp), or "" when it is absent or null.
std::string quoted_or_empty(const nlohmann::json& config, const char* key);

}  // namespace maintd::handlers
