#include "store/run_status.hpp"

#include <array>
#include <utility>

namespace maintd::store {
namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 8> kStatusNames = {{
    {RunStatus::pending, "pending"},
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::failed, "failed"},
    {RunStatus::timed_out, "timed_out"},
    {RunStatus::cancelled, "cancelled"},
    {RunStatus::abandoned, "abandoned"},
    {RunStatus::skipped, "skipped"},
}};

constexpr std::array<std::pair<Trigger, std::string_view>, 5> kTriggerNames = {{
    {Trigger::schedule, "schedule"},
    {Trigger::manual, "manual"},
    {Trigger::catchup, "catchup"},
    {Trigger::retry, "retry"},
    {Trigger::once, "once"},
}};

}  // namespace

std::string_view to_string(RunStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "?";
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool can_transition(RunStatus from, RunStatus to) {
  switch (from) {
    case RunStatus::pending:
      // abandoned: claimed by an instance that died (or lost the database) before starting it.
      // skipped: a one-off run that is not started (run_status.hpp).
      return to == RunStatus::running || to == RunStatus::cancelled || to == RunStatus::abandoned ||
             to == RunStatus::skipped;
    case RunStatus::running:
      return to == RunStatus::completed || to == RunStatus::failed || to == RunStatus::timed_out ||
             to == RunStatus::cancelled || to == RunStatus::abandoned;
    case RunStatus::abandoned:
      return to == RunStatus::completed || to == RunStatus::failed;
    default:
      return false;
  }
}

bool is_terminal(RunStatus status) {
  return status != RunStatus::pending && status != RunStatus::running &&
         status != RunStatus::abandoned;
}

std::string_view to_string(Trigger trigger) {
  for (const auto& [value, name] : kTriggerNames) {
    if (value == trigger) return name;
  }
  return "?";
}

std::optional<Trigger> parse_trigger(std::string_view text) {
  for (const auto& [value, name] : kTriggerNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace maintd::store
