#pragma once
// Runs and tasks as JSON, with the fields of the CLI's --json output (docs/json-output.md), so
// that the API and `maintd list|history|show-run --json` agree field for field. Secrets in
// configs are masked (config::redact).
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "store/run_store.hpp"

namespace maintd::service {

// From start to finish (to the last heartbeat for a run still going); empty before it started.
std::optional<std::chrono::milliseconds> run_duration(const store::RunRecord& run);

nlohmann::json run_to_json(const store::RunRecord& run);
nlohmann::json event_to_json(const store::RunEvent& event);

// {"utc": "2026-11-25T01:30:00Z", "local": "2026-11-25T02:30:00+01:00"}
nlohmann::json slot_json(Instant slot, const config::Task& task);
// slot_json(slot, task).dump(), written directly (the task list writes 1,000 per request).
std::string slot_text(Instant slot, const config::Task& task);
nlohmann::json policies_json(const config::Policies& policies);
// A task as `maintd list --json` shows it; `next` null when empty.
nlohmann::json task_to_json(const config::Task& task, std::optional<Instant> next);

}  // namespace maintd::service
