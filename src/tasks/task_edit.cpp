// The shared rules of editing a db task (see task_edit.hpp).
#include "tasks/task_edit.hpp"

#include <fmt/format.h>

#include "config/task_entry.hpp"
#include "config/yaml_source.hpp"

namespace maintd::tasks {

std::string file_and_line(const config::Task& task) {
  return fmt::format("{}:{}", task.defined_at.file, task.defined_at.line);
}

Expected<TaskRow, EditRefusal> find_editable_row(store::TaskTable& table,
                                                 const config::Config& config,
                                                 const std::string& name) {
  // A file defines it: the file is the truth, and its row only a mirror.
  if (const config::Task* file_task = config.find_task(name)) {
    return Unexpected{EditRefusal{EditRefusal::Reason::file_task, file_task->defined_at, {}}};
  }
  auto row = read_task_row(table, name);
  if (!row) return Unexpected{EditRefusal{EditRefusal::Reason::unknown, {}, {}}};
  if (!row->from_db()) {
    return Unexpected{EditRefusal{EditRefusal::Reason::not_db, {}, row->origin}};
  }
  return std::move(*row);
}

std::optional<config::Task> validate_task_entry(const nlohmann::json& entry,
                                                const config::Config& config,
                                                const std::string& name,
                                                config::Diagnostics& diagnostics) {
  const config::SourceMap map(fmt::format("task '{}'", name));
  return config::read_task_entry(entry, map, config, diagnostics);
}

EditOutcome apply_task_edit(store::TaskTable& table, const config::Config& config,
                            const TaskRow& row, const nlohmann::json& entry, bool sets_enabled,
                            const store::Clock& clock) {
  EditOutcome outcome;
  outcome.task = validate_task_entry(entry, config, row.name, outcome.diagnostics);
  if (!outcome.task) {
    outcome.result = EditOutcome::Result::invalid;
    return outcome;
  }
  TaskRow updated = db_row_from_task(*outcome.task, entry);
  // Setting `enabled` sets the definition and drops an earlier `task enable|disable`;
  // otherwise that override stays.
  if (!sets_enabled && row.unreadable.count("enabled_override") == 0) {
    updated.enabled_override = row.enabled_override;
  }
  outcome.changes = diff_rows(row, updated);
  if (row.enabled_override != updated.enabled_override ||
      row.unreadable.count("enabled_override") > 0) {
    outcome.changes.push_back({"enabled_override", column_value(row, "enabled_override"),
                               column_value(updated, "enabled_override")});
  }
  if (outcome.changes.empty()) {
    outcome.result = EditOutcome::Result::unchanged;
    return outcome;
  }
  outcome.result = update_db_task(table, updated, row.updated_at, clock)
                       ? EditOutcome::Result::changed
                       : EditOutcome::Result::conflict;
  return outcome;
}

}  // namespace maintd::tasks
