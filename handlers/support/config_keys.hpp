#pragma once
// Writing a handler's config schema and reading its schema-checked config: the small helpers
// every handler family would otherwise define for itself.
//
// Optional settings (a column the handler can do without, a `where:`, a limit) are declared with
// optional_key() and read with the optional_* readers below, and nothing else: unset (null, or
// "") then means "not used" for every handler alike, even when the key has a default or a
// `types:` preset set it. A required column keeps key() and is refused when empty.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "registry/schema.hpp"

namespace maintd::handlers {

// A key with its default (null: none) and, for numbers and durations, its range; it cannot be
// unset (a column the handler needs, with a default name).
registry::KeySpec key(std::string name, registry::ValueType type, std::string description,
                      nlohmann::json default_value = nullptr, std::optional<double> minimum = {},
                      std::optional<double> maximum = {});
// An optional key: as key(), and null or "" unset it (KeySpec::may_be_unset). The description
// should say what unset means.
registry::KeySpec optional_key(std::string name, registry::ValueType type, std::string description,
                               nlohmann::json default_value = nullptr,
                               std::optional<double> minimum = {},
                               std::optional<double> maximum = {});
// A key every task of the type must give.
registry::KeySpec required(std::string name, registry::ValueType type, std::string description);

// `where`: the operator's extra predicate, ANDed in; trusted input, spliced as written.
registry::KeySpec where_key();
// `batch_size`: rows per batch, each batch its own short transaction.
registry::KeySpec batch_size_key(long long default_size, long long maximum = 100000,
                                 const char* unit = "rows");

// `max_per_run`: rows changed per execution at most (unset: no cap), beside batch_size_key();
// read with RunCap (batches.hpp).
registry::KeySpec max_per_run_key(const char* unit = "rows");

// The string at `key`: "" when it is unset (null or ""); `absent` when the key is not there at
// all (a config not filled with the schema's defaults: pass the default).
std::string optional_text(const nlohmann::json& config, const char* key,
                          const std::string& absent = {});

// The identifier at `key`, quoted (target_sql.hpp), or "" when it is unset; `absent` as above.
std::string quoted_or_empty(const nlohmann::json& config, const char* key,
                            const std::string& absent = {});

// The integer at `key`, or nothing when it is absent or unset (null or "").
std::optional<long long> optional_integer(const nlohmann::json& config, const char* key);

}  // namespace maintd::handlers
