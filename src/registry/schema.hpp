#pragma once
// A handler's declared configuration: which keys it takes, their types, defaults and limits.
// Validation (config loading, `maintd run --set`) and `maintd handlers` both read it, so what a
// handler accepts is written down once.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace maintd::registry {

enum class ValueType {
  string,
  integer,
  number,
  boolean,
  duration,     // "90s", "15m", "2h", "1d" (kept as written; see config/duration.hpp)
  identifier,   // SQL identifier: [A-Za-z_][A-Za-z0-9_]*, optionally "schema." before it
  database,     // the name of a database declared under `databases:`
  string_list,  // a list of strings
  identifier_list,
  integer_list,  // a list of integers, each held to minimum and maximum (HTTP statuses)
  object,        // a free-form map (e.g. environment variables)
  map_list,      // a list of maps, each item held to the key's check_items (health.report's probes)
};
std::string_view to_string(ValueType type);

struct KeySpec {
  std::string name;
  ValueType type = ValueType::string;
  std::string description;
  bool required = false;
  nlohmann::json default_value;   // null: no default
  std::optional<double> minimum;  // integer, number, duration (in seconds)
  std::optional<double> maximum;
  std::vector<std::string> allowed;  // for strings: the only values accepted
  // An optional setting (a column the handler can do without, a limit): null or "" unset it,
  // whatever its type and default, so that a task can unset what a default or a `types:` preset
  // set (`error_column: ~`, `--set error_column=`). The handler reads either as "not used".
  bool may_be_unset = false;
  // The rules of a value beyond its type, which a flat list of keys cannot declare: for a
  // map_list, its items (their own keys, types, and how their values fit together); for a map,
  // its entries (http.request's headers); for a string, its form (a URL). Called once the type
  // is right (never for an unset value). Returns one message per problem, each naming the item
  // or entry; reported under this key. Unset: any value of the type is accepted.
  std::function<std::vector<std::string>(const nlohmann::json& items,
                                         const std::set<std::string>& declared_databases)>
      check_items = {};
};

struct SchemaIssue {
  std::string key;  // "timeout_minutes", or "" for the whole config
  std::string message;
};

class ConfigSchema {
 public:
  // Rules between keys (give 'body' or 'json', not both), checked on a whole config once each
  // key is right on its own.
  using Rules = std::function<std::vector<SchemaIssue>(const nlohmann::json& config)>;

  ConfigSchema() = default;
  explicit ConfigSchema(std::vector<KeySpec> keys, Rules rules = {})
      : keys_(std::move(keys)), rules_(std::move(rules)) {}

  const std::vector<KeySpec>& keys() const { return keys_; }
  const KeySpec* find(std::string_view name) const;

  // Checks `config` (a JSON object) key by key: unknown keys (with the closest names), wrong
  // types, values out of range or not allowed, databases not declared, and, when
  // `require_all` is set (a whole config, not a preset), missing required keys and then, when
  // every key is right, the rules between keys. Returns every issue, in key order.
  std::vector<SchemaIssue> check(const nlohmann::json& config,
                                 const std::set<std::string>& declared_databases,
                                 bool require_all = true) const;

  // `config` with the defaults of absent keys filled in. Call after check() found no issue.
  nlohmann::json with_defaults(const nlohmann::json& config) const;

  nlohmann::json to_json() const;

 private:
  std::vector<KeySpec> keys_;
  Rules rules_;
};

// [A-Za-z_][A-Za-z0-9_]*, optionally once more after a '.' (schema-qualified).
bool is_sql_identifier(std::string_view text);

}  // namespace maintd::registry
