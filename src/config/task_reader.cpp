// Schedule files: `tasks:`, each task checked against the registry, the cron engine, the tz
// database and its handler's config schema.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "config/limits.hpp"
#include "config/readers.hpp"
#include "config/task_entry.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace maintd::config {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTaskName = 128;

bool is_task_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTaskName ||
      !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

// The limits a YAML document is read within (config/limits.hpp), for an entry that did not come
// from YAML (a row of scheduled_tasks, `maintd task add` options): strings and keys of at most
// kMaxValueBytes, at most kMaxNesting levels. Walked without recursion (the entry may nest deeper
// than a stack allows); each problem is reported at the entry, naming the key.
bool within_limits(const json& entry, const SourceMap& map, Diagnostics& diagnostics) {
  struct Item {
    const json* value;
    std::string pointer;
    std::string name;  // "config.columns[2]"
    std::size_t depth;
  };
  bool ok = true;
  const auto refuse = [&](const Item& item, const std::string& message) {
    diagnostics.error(map.value(item.pointer),
                      item.name.empty() ? message : fmt::format("{}: {}", item.name, message));
    ok = false;
  };
  std::vector<Item> stack{{&entry, "", "", 1}};
  while (!stack.empty()) {
    const Item item = std::move(stack.back());
    stack.pop_back();
    const json& value = *item.value;
    if (value.is_string()) {
      const std::size_t size = value.get_ref<const std::string&>().size();
      if (size > kMaxValueBytes) {
        refuse(item, over_limit("value", size, kMaxValueBytes, "config values") + ": shorten it");
      }
      continue;
    }
    if (!value.is_structured()) continue;
    if (item.depth > kMaxNesting) {
      refuse(item, fmt::format("values are nested more than {} levels deep here, the limit "
                               "(nesting): flatten them",
                               kMaxNesting));
      continue;
    }
    // Children pushed last first, so that they are reported in order.
    const std::size_t first = stack.size();
    if (value.is_array()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        stack.push_back({&value[i], child_pointer(item.pointer, i),
                         fmt::format("{}[{}]", item.name, i), item.depth + 1});
      }
    } else {
      for (const auto& [key, child] : value.items()) {
        if (key.size() > kMaxValueBytes) {
          refuse(item,
                 over_limit("key", key.size(), kMaxValueBytes, "config values") + ": shorten it");
          continue;
        }
        stack.push_back({&child, child_pointer(item.pointer, key),
                         item.name.empty() ? key : item.name + "." + key, item.depth + 1});
      }
    }
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first), stack.end());
  }
  return ok;
}

// The task's dry-run mode: `dry_run:` on the task, or `dry_run` inside its config, where
// Curatore's configs write it ({"retention_days": 30, "dry_run": false}). The config's key is
// taken out of `written_config`: it is the task's setting, not a handler's, so every handler type
// accepts it and none sees it. Given twice with two values, neither can be assumed meant.
bool read_dry_run(Fields& fields, json& written_config, const SourceMap& map,
                  Diagnostics& diagnostics) {
  const std::optional<bool> task_level = fields.boolean("dry_run");
  if (!written_config.contains("dry_run")) return task_level.value_or(false);
  Fields config(written_config, fields.pointer_of("config"), map, diagnostics, "config.");
  const std::optional<bool> in_config =
      config.failed("dry_run") ? std::nullopt : config.boolean("dry_run");
  if (in_config && task_level && *in_config != *task_level) {
    diagnostics.error(config.key_at("dry_run"),
                      fmt::format("config.dry_run is {} but the task's dry_run is {}: both are the "
                                  "task's dry-run mode; give one of them, or the same value",
                                  *in_config, *task_level));
  }
  written_config.erase("dry_run");
  return in_config.value_or(task_level.value_or(false));
}

}  // namespace

TaskReader::TaskReader(const registry::Registry& registry, const Config& settings,
                       Diagnostics& diagnostics)
    : registry_(registry), settings_(settings), diagnostics_(diagnostics) {
  for (const auto& [name, url] : settings.databases) databases_.insert(name);
}

const Expected<cctz::time_zone, std::string>& TaskReader::zone(const std::string& name) {
  auto it = zones_.find(name);
  if (it == zones_.end()) it = zones_.emplace(name, cron::load_zone(name)).first;
  return it->second;
}

void TaskReader::read_file(const json& root, const SourceMap& map, std::vector<Task>& tasks) {
  if (root.is_null()) {
    diagnostics_.warning({map.file(), 0, 0}, "the file is empty: no tasks");
    return;
  }
  if (!root.is_object()) {
    diagnostics_.error(map.value(""), fmt::format("expected a map with 'tasks:' at the top, got {}",
                                                  describe_value(root)));
    return;
  }
  Fields top(root, "", map, diagnostics_);
  top.allow_only({"tasks"});
  const json* list = top.raw("tasks");
  if (list == nullptr) {
    if (!root.contains("tasks")) {
      diagnostics_.error(map.value(""), "missing 'tasks:' (a list of tasks)");
    }
    return;
  }
  if (!list->is_array()) {
    top.error("tasks", fmt::format("expected a list of tasks, got {}", describe_value(*list)));
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (auto task = read_task((*list)[i], child_pointer("/tasks", i), map)) {
      tasks.push_back(std::move(*task));
    }
  }
}

std::optional<Task> TaskReader::read_task(const json& entry, const std::string& pointer,
                                          const SourceMap& map) {
  if (!entry.is_object()) {
    diagnostics_.error(map.value(pointer),
                       fmt::format("a task must be a map with name, type and schedule, got {}",
                                   describe_value(entry)));
    return std::nullopt;
  }
  const std::size_t errors_before = diagnostics_.error_count();
  Fields fields(entry, pointer, map, diagnostics_);
  fields.allow_only({"name", "display_name", "type", "schedule", "timezone", "description",
                     "enabled", "timeout", "concurrency", "catchup", "retries", "retry_backoff",
                     "jitter", "expect_success_within", "pause_after_failures", "dry_run", "config",
                     "scope_type"});

  auto name = fields.string("name", true);
  if (name) names_.emplace_back(*name, fields.here());
  if (name && !is_task_name(*name)) {
    fields.error("name", fmt::format("'{}' is not a valid task name (letters, digits, '_', '-' "
                                     "and '.', starting with a letter or digit, at most {} "
                                     "characters)",
                                     *name, kMaxTaskName));
  }

  // The type, through an alias if need be.
  std::optional<registry::ResolvedType> resolved;
  auto type = fields.string("type", true);
  if (type) {
    if (auto r = registry_.resolve(*type); !r) {
      fields.error("type", r.error());
    } else {
      resolved = *r;
      if (resolved->alias_of && warned_aliases_.insert(*type).second) {
        alias_uses_.push_back(
            {*type, fields.at("type"),
             fmt::format("type '{}' is a legacy alias of '{}'; runs are recorded "
                         "as '{}' (write '{}' to silence this)",
                         *type, resolved->canonical, resolved->canonical, resolved->canonical)});
      }
    }
  }

  // The zone first: the schedule is read in it.
  const std::string zone_name = fields.string("timezone").value_or(settings_.default_timezone);
  const cctz::time_zone* zone_ptr = nullptr;
  if (const auto& loaded = zone(zone_name); !loaded) {
    fields.error("timezone", loaded.error());
  } else {
    zone_ptr = &*loaded;
  }

  auto schedule_text = fields.string("schedule", true);
  std::optional<cron::ScheduleForm> expression;
  if (schedule_text) {
    auto parsed = cron::parse_schedule(*schedule_text);
    if (!parsed) {
      // Point at the offending token inside the value (past the opening quote, if quoted).
      const auto& error = parsed.error();
      Location at = fields.at("schedule");
      if (at.column > 0) {
        at.column +=
            map.content_offset(fields.pointer_of("schedule")) + static_cast<int>(error.column) - 1;
      }
      std::string message =
          fmt::format("schedule: invalid {} '{}': {}: {}",
                      cron::is_interval_text(*schedule_text) ? "interval" : "cron expression",
                      *schedule_text, error.field, error.message);
      if (!error.hint.empty()) message += fmt::format(" (hint: {})", error.hint);
      diagnostics_.error(at, std::move(message));
    } else {
      expression = *parsed;
    }
  }

  Policies policies = settings_.default_policies;
  read_policies(fields, policies);
  const bool enabled = fields.boolean("enabled").value_or(true);
  const std::string description = fields.string("description").value_or("");
  const std::string display_name = fields.string("display_name").value_or(name.value_or(""));
  const std::string scope_type = fields.string("scope_type").value_or("global");

  // The handler's config: its defaults, under the type's preset, under the task's own keys.
  json written_config = json::object();
  if (const json* config = fields.raw("config")) {
    if (!config->is_object()) {
      fields.error("config", fmt::format("expected a map, got {}", describe_value(*config)));
    } else {
      written_config = *config;
    }
  }
  const bool dry_run = read_dry_run(fields, written_config, map, diagnostics_);
  json effective;
  if (resolved) {
    json merged = resolved->preset;
    for (const auto& [key, value] : written_config.items()) merged[key] = value;
    const auto& schema = resolved->handler->schema;
    for (const auto& issue : schema.check(merged, databases_, true)) {
      const std::string key_pointer = child_pointer(fields.pointer_of("config"), issue.key);
      if (map.failed(key_pointer)) continue;  // reported when it was read
      const bool written_here = !issue.key.empty() && written_config.contains(issue.key);
      const bool about_key = starts_with(issue.message, "unknown key") ||
                             starts_with(issue.message, "missing required key");
      Location at = written_here
                        ? (about_key ? map.key(key_pointer) : map.value(key_pointer))
                        : (fields.has("config") ? fields.key_at("config") : fields.at("type"));
      diagnostics_.error(
          at, about_key || issue.key.empty()
                  ? fmt::format("config: {} (handler {})", issue.message, resolved->handler->type)
                  : fmt::format("config.{}: {}", issue.key, issue.message));
    }
    effective = schema.with_defaults(merged);
  }

  if (diagnostics_.error_count() != errors_before || !resolved || !expression || !zone_ptr ||
      !name) {
    return std::nullopt;
  }
  return Task{*name,
              display_name,
              description,
              scope_type,
              resolved->canonical,
              *type,
              *schedule_text,
              zone_name,
              cron::Schedule(*expression, *zone_ptr),
              enabled,
              dry_run,
              policies,
              interned_.intern(std::move(effective)),
              interned_.intern(std::move(written_config)),
              fields.here(),
              Task::Source::file,
              std::string()};
}

void report_duplicate_names(const TaskReader::NamedAt& names, Diagnostics& diagnostics) {
  std::unordered_map<std::string_view, const Location*> first;
  first.reserve(names.size());
  for (const auto& [name, where] : names) {
    auto [it, inserted] = first.emplace(name, &where);
    if (inserted) continue;
    diagnostics.error(where, fmt::format("duplicate task name '{}' (also defined at {})", name,
                                         it->second->to_string()));
    diagnostics.error(*it->second, fmt::format("duplicate task name '{}' (also defined at {})",
                                               name, where.to_string()));
  }
}

std::string shown_task_name(const std::string& task_name) {
  if (task_name.size() <= kMaxTaskName) return task_name;
  return task_name.substr(0, 32) + "...";
}

Location table_location(const std::string& task_name) {
  if (task_name.size() > kMaxTaskName) {
    return {fmt::format("scheduled_tasks '{}' (a name of {} bytes)", shown_task_name(task_name),
                        task_name.size()),
            0, 0};
  }
  return {fmt::format("scheduled_tasks '{}'", task_name), 0, 0};
}

std::optional<Task> read_task_entry(const json& entry, const SourceMap& map, const Config& config,
                                    Diagnostics& diagnostics) {
  if (!within_limits(entry, map, diagnostics)) return std::nullopt;
  TaskReader reader(*config.registry, config, diagnostics);
  auto task = reader.read_entry(entry, map);
  for (auto& use : reader.take_alias_uses()) diagnostics.warning(use.where, std::move(use.message));
  return task;
}

}  // namespace maintd::config
