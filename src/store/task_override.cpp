// Switching a task off on maintd's own decision (task_override.hpp).
#include "store/task_override.hpp"

#include <soci/soci.h>

#include "store/task_rows.hpp"
#include "store/task_writes.hpp"

namespace maintd::store {
namespace {

std::optional<std::string> maintd_row_updated_at(soci::session& state, const std::string& key) {
  std::string updated_at;
  soci::indicator indicator = soci::i_null;
  soci::statement st = (state.prepare << "SELECT CAST(updated_at AS TEXT) FROM maintd_tasks "
                                         "WHERE task_id = :k",
                        soci::into(updated_at, indicator), soci::use(key));
  st.execute(true);
  if (!st.got_data() || indicator != soci::i_ok) return std::nullopt;
  return updated_at;
}

}  // namespace

TaskChange read_task_change(TaskTable& table, const std::string& name) {
  return with_task_sessions(table, "reading when a task last changed", [&](TaskSessions& s) {
    const auto layout = require_layout(table, s.home);
    const auto rows = read_tasks(s, layout, TaskMatch::name, name);
    TaskChange change;
    if (rows.empty()) return change;
    change.found = true;
    change.changed_at = maintd_row_updated_at(s.state, key_of(rows.front(), layout));
    return change;
  });
}

bool disable_task_if_unchanged(TaskTable& table, const std::string& name,
                               const std::optional<std::string>& changed_at, const Clock& clock) {
  return with_task_writes(table, "pausing a task", [&](TaskWrites& writes) {
    const auto current = writes.find(name);
    if (!current) return false;
    const bool off = current->enabled_override ? !*current->enabled_override : !current->enabled;
    if (off) return false;
    if (maintd_row_updated_at(writes.sessions().state, key_of(*current, writes.layout())) !=
        changed_at) {
      return false;
    }
    writes.set_enabled(*current, false, format_timestamp(clock()));
    return true;
  });
}

}  // namespace maintd::store
