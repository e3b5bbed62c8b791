#pragma once
// How runs and their events are shown: JSON (docs/json-output.md) and text, shared by
// `maintd run`, `maintd history` and `maintd show-run`.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "service/json_views.hpp"
#include "store/run_store.hpp"

namespace maintd::cli {

// The JSON views are the admin API's (service/json_views.hpp): CLI and API print the same fields.
using service::event_to_json;
using service::run_to_json;

// "1.2s", "3m04s", "-" for a run that never started.
std::string run_duration_text(const store::RunRecord& run);
using service::run_duration;

// "2026-03-29 01:00:00" (UTC, to the second), "-" when absent.
std::string timestamp_text(const std::optional<store::Timestamp>& at);

// One event as a log line: "01:00:00.123 info  start: ...".
std::string event_line(const store::RunEvent& event);

}  // namespace maintd::cli
