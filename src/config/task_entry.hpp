#pragma once
// One task definition validated on its own, exactly as an entry of a schedule file is (the same
// checks, the same messages): for rows of the `scheduled_tasks` table and for
// `maintd task add|edit`, so that a task is never accepted from the table or the command line
// that a schedule file would have rejected.
#include <nlohmann/json.hpp>
#include <optional>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/yaml_source.hpp"

namespace maintd::config {

// `entry` is a map with the keys of a schedule file's task (name, type, schedule, timezone,
// policies, config, ...), validated against `config`'s registry, databases and defaults.
// Positions come from `map` with the entry at its root (pointer ""); a SourceMap without entries
// reports every problem at map.file() alone ("scheduled_tasks 'nightly': schedule: invalid cron
// expression ..."). Errors and warnings (a legacy alias) go to `diagnostics`; empty when there
// was any error. The task returned is a file task at map.value(""): callers set `source`.
std::optional<Task> read_task_entry(const nlohmann::json& entry, const SourceMap& map,
                                    const Config& config, Diagnostics& diagnostics);

}  // namespace maintd::config
