#include "connection/task_table_spec.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace maintd::connection {

const std::vector<std::string>& guide_task_columns() {
  static const std::vector<std::string> columns = {
      "id",          "name",        "display_name",        "description",
      "task_type",   "scope_type",  "schedule_expression", "enabled",
      "config",      "last_run_id", "last_run_at",         "last_run_status",
      "next_run_at", "created_at",  "updated_at"};
  return columns;
}

const std::vector<std::string>& required_task_columns() {
  static const std::vector<std::string> columns = {"name", "task_type", "schedule_expression",
                                                   "enabled", "config"};
  return columns;
}

std::string TaskTableSpec::column_for(const std::string& guide) const {
  auto it = columns.find(guide);
  return it == columns.end() ? guide : it->second;
}

bool valid_identifier(const std::string& text, bool allow_schema) {
  const auto part_ok = [](std::string_view part) {
    if (part.empty() || part.size() > 63) return false;
    if (std::isdigit(static_cast<unsigned char>(part.front())) != 0) return false;
    return std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
  };
  const auto dot = text.find('.');
  if (dot == std::string::npos) return part_ok(text);
  if (!allow_schema) return false;
  return part_ok(std::string_view(text).substr(0, dot)) &&
         part_ok(std::string_view(text).substr(dot + 1));
}

}  // namespace maintd::connection
