#include "handlers/support/config_keys.hpp"

#include <utility>

#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {

registry::KeySpec key(std::string name, registry::ValueType type, std::string description,
                      nlohmann::json default_value, std::optional<double> minimum,
                      std::optional<double> maximum) {
  registry::KeySpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.description = std::move(description);
  spec.default_value = std::move(default_value);
  spec.minimum = minimum;
  spec.maximum = maximum;
  return spec;
}

registry::KeySpec optional_key(std::string name, registry::ValueType type, std::string description,
                               nlohmann::json default_value, std::optional<double> minimum,
                               std::optional<double> maximum) {
  registry::KeySpec spec = key(std::move(name), type, std::move(description),
                               std::move(default_value), minimum, maximum);
  spec.may_be_unset = true;
  return spec;
}

registry::KeySpec required(std::string name, registry::ValueType type, std::string description) {
  registry::KeySpec spec = key(std::move(name), type, std::move(description));
  spec.required = true;
  return spec;
}

registry::KeySpec where_key() {
  return optional_key(
      "where", registry::ValueType::string,
      "an extra SQL predicate on the table, ANDed in (trusted operator input: it is "
      "spliced as written; no ':name' placeholders)");
}

registry::KeySpec batch_size_key(long long default_size, long long maximum, const char* unit) {
  return key("batch_size", registry::ValueType::integer,
             std::string(unit) + " per batch; each batch is its own short transaction",
             default_size, 1, static_cast<double>(maximum));
}

registry::KeySpec max_per_run_key(const char* unit) {
  // The maximum only keeps the value a long long (a JSON integer may be larger): a cap larger
  // than the table is no cap, and a lower maximum would only get in the way.
  return optional_key("max_per_run", registry::ValueType::integer,
                      std::string(unit) +
                          " changed per run at most, over all its batches; the rest are left for "
                          "the next run (unset: no limit)",
                      nullptr, 1, 1e12);
}

std::string optional_text(const nlohmann::json& config, const char* key,
                          const std::string& absent) {
  const auto it = config.find(key);
  if (it == config.end()) return absent;
  return it->is_null() ? std::string() : it->get<std::string>();
}

std::string quoted_or_empty(const nlohmann::json& config, const char* key,
                            const std::string& absent) {
  const auto name = optional_text(config, key, absent);
  return name.empty() ? name : quote_identifier(name);
}

std::optional<long long> optional_integer(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
    return std::nullopt;
  }
  return it->get<long long>();
}

}  // namespace maintd::handlers
