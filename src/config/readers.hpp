#pragma once
// Internal to config loading: the reader of maintd.yaml and the reader of schedule files.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/fields.hpp"
#include "config/yaml_source.hpp"

namespace maintd::config {

// A `schedules:` entry, with where it was written.
struct ScheduleEntry {
  std::string pattern;
  Location where;
};

// Reads maintd.yaml's settings into `config` and `registry` (aliases, config-defined types).
void read_settings(const nlohmann::json& root, const SourceMap& map,
                   const std::filesystem::path& base_dir, Config& config,
                   registry::Registry& registry, std::vector<ScheduleEntry>& schedules,
                   Diagnostics& diagnostics);

// Reads `timeout`, `concurrency`, `catchup`, `retries`, `retry_backoff`, `jitter` and
// `expect_success_within` (0s: not watched) over `policies`.
void read_policies(Fields& fields, Policies& policies);

// What every task of every file is read against.
class TaskReader {
 public:
  TaskReader(const registry::Registry& registry, const Config& settings, Diagnostics& diagnostics);

  // Reads the tasks of one schedule file, appending the valid ones.
  void read_file(const nlohmann::json& root, const SourceMap& map, std::vector<Task>& tasks);

  // Every task name read (valid task or not), with its place, in reading order; taken out.
  using NamedAt = std::vector<std::pair<std::string, Location>>;
  NamedAt take_names() { return std::move(names_); }

  // The first use of each legacy alias this reader saw, with its warning: the caller warns once
  // per alias over everything it reads (schedule files are read by one reader each, on
  // several threads, and warned about in file order).
  struct AliasUse {
    std::string type;
    Location where;
    std::string message;
  };
  std::vector<AliasUse> take_alias_uses() { return std::move(alias_uses_); }

  // One task entry with its map at the root of `map` (pointer ""): a row of scheduled_tasks or
  // the options of `maintd task add|edit`, validated exactly as a schedule file's entry.
  std::optional<Task> read_entry(const nlohmann::json& entry, const SourceMap& map) {
    return read_task(entry, "", map);
  }

 private:
  std::optional<Task> read_task(const nlohmann::json& entry, const std::string& pointer,
                                const SourceMap& map);
  const Expected<cctz::time_zone, std::string>& zone(const std::string& name);

  const registry::Registry& registry_;
  const Config& settings_;
  std::set<std::string> databases_;
  Diagnostics& diagnostics_;
  std::map<std::string, Expected<cctz::time_zone, std::string>> zones_;
  std::set<std::string> warned_aliases_;
  std::vector<AliasUse> alias_uses_;
  JsonInterner interned_;  // the tasks' configs: equal ones share one value
  NamedAt names_;          // every task name read, with its place
};

// Reports every task name used twice in `names`, at both places.
void report_duplicate_names(const TaskReader::NamedAt& names, Diagnostics& diagnostics);

}  // namespace maintd::config
