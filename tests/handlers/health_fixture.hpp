#pragma once
// What the health.report suites share: maintd's own runs written into the state database (the
// target of the test doubles as it), a health run wired to it, a database that is down, and the
// report of a run whether it passed or failed.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "handler_fixture.hpp"
#include "store/timestamp.hpp"

namespace maintd::testing {

// A run in maintd's own maintd_runs, its last sign of life `ago` before the target's now.
// Abandoned runs never finish: their heartbeat is what dates them.
template <class T>
void add_run(T& target, const std::string& task, const std::string& status,
             std::chrono::seconds ago, const std::string& error = "") {
  const auto at = store::format_timestamp(
      std::chrono::time_point_cast<std::chrono::milliseconds>(target.now - ago));
  const auto start =
      store::format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(
          target.now - ago - std::chrono::minutes(1)));
  const bool finished = status != "abandoned";
  target.exec(fmt::format(
      "INSERT INTO maintd_runs (task_name, task_type, trigger_type, status, created_at, "
      "started_at, heartbeat_at, finished_at, error) VALUES ('{}', 'debug.noop', 'schedule', "
      "'{}', '{}', '{}', '{}', {}, {})",
      task, status, start, start, at, finished ? "'" + at + "'" : "NULL",
      error.empty() ? "NULL" : "'" + error + "'"));
}

template <class T>
std::unique_ptr<HandlerRun> health_run(T& target, const nlohmann::json& config) {
  auto run = target.context("health.report", config);
  run->context.state_sessions = [url = target.backend.url()] {
    return store::open_target_session(url);
  };
  return run;
}

// Sessions: `app` is the target; `down` a database that refuses connections; anything else is
// not declared.
template <class T>
registry::HandlerContext::SessionFactory with_down(T& target) {
  const auto app = target.sessions();
  const std::string down = target.postgres ? "postgresql://maintd@127.0.0.1:1/nothing"
                                           : "sqlite3:///nonexistent/maintd/down.db";
  return [app, down](const std::string& name) -> std::unique_ptr<soci::session> {
    if (name == "down") return store::open_target_session(parse_url(down));
    return app(name);
  };
}

inline std::string event_message(const HandlerRun& run, const std::string& event) {
  for (const auto& e : *run.events)
    if (e.event == event) return e.message;
  return {};
}

// The report of a health run: its result, or, when it failed, the report it logged (a failed run
// keeps no result).
inline nlohmann::json report_of(HandlerRun& run) {
  try {
    return handler("health.report").run(run.context);
  } catch (const std::runtime_error&) {
    const auto logged = event_message(run, "report");
    REQUIRE_MESSAGE(!logged.empty(), "the failed run logged no report");
    return nlohmann::json::parse(logged);
  }
}

}  // namespace maintd::testing
