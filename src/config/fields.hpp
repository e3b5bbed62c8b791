#pragma once
// Typed reads of one JSON object that came from YAML, each problem reported where it was
// written: "schedules/claims.yaml:12:15: timeout: bad duration '15 mins' (...)".
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/yaml_source.hpp"

namespace maintd::config {

class Fields {
 public:
  // `prefix` goes before key names in messages ("defaults." or "config.").
  Fields(const nlohmann::json& object, std::string pointer, const SourceMap& map,
         Diagnostics& diagnostics, std::string prefix = {});

  // Reports every key not in `known`, with the closest known name.
  void allow_only(std::initializer_list<std::string_view> known);

  bool has(const std::string& key) const;
  // The value could not be read and was reported already: say nothing more about it.
  bool failed(const std::string& key) const;
  const nlohmann::json* raw(const std::string& key) const;
  Location at(const std::string& key) const;      // where the value starts
  Location key_at(const std::string& key) const;  // where the key is written
  Location here() const;                          // where the object starts
  const std::string& pointer() const { return pointer_; }
  std::string pointer_of(const std::string& key) const;
  std::string name_of(const std::string& key) const { return prefix_ + key; }

  // Each returns nothing when the key is absent (reporting it if `required`) or bad (reported).
  std::optional<std::string> string(const std::string& key, bool required = false);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
  std::optional<std::chrono::seconds> duration(const std::string& key);
  std::optional<std::string> choice(const std::string& key,
                                    const std::vector<std::string>& allowed);
  // A string or a list of strings.
  std::optional<std::vector<std::string>> string_list(const std::string& key);

  void error(const std::string& key, const std::string& message);

 private:
  const nlohmann::json& object_;
  std::string pointer_;
  const SourceMap& map_;
  Diagnostics& diagnostics_;
  std::string prefix_;
};

// "a string ('abc')", "an integer (15)", "a list": for "expected X, got Y" messages.
std::string describe_value(const nlohmann::json& value);

}  // namespace maintd::config
