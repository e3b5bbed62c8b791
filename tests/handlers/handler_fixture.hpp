#pragma once
// What every handler test stands on: the store tests' two backends (a SQLite file, a database of
// the process's throwaway PostgreSQL cluster) used as the *target* database, a HandlerContext
// wired to it, and the events and progress the handler reported.
//
//   TEST_CASE_TEMPLATE("handlers: claims: ...", Backend, MAINTD_BACKENDS) {
//     Target<Backend> target;                 // the application's database, empty
//     target.exec("CREATE TABLE ...");         // the fixture schema (portable SQL)
//     auto run = target.context("claims.release_expired", {{"table", "soup_dedupe"}, ...});
//     auto result = handler.run(run.context);
//   }
//
// defines "...<sqlite>" and "...<postgresql>" (support/backends.hpp); the suite labels the
// second kind `postgres`.
#include <doctest/doctest.h>
#include <fmt/chrono.h>  // Target::ago formats time points

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "handlers/builtin.hpp"
#include "handlers/support/timestamps.hpp"
#include "registry/registry.hpp"
#include "store/store_fixture.hpp"
#include "store/target_session.hpp"

namespace maintd::testing {

struct RecordedEvent {
  registry::EventLevel level;
  std::string event;
  std::string message;
};

// A context and what the handler told it. Owns the stop source, so tests can cancel.
struct HandlerRun {
  registry::HandlerContext context;
  std::stop_source stop;
  std::shared_ptr<std::vector<RecordedEvent>> events =
      std::make_shared<std::vector<RecordedEvent>>();
  std::shared_ptr<std::vector<registry::Progress>> progress =
      std::make_shared<std::vector<registry::Progress>>();

  bool logged(const std::string& event) const {
    for (const auto& e : *events)
      if (e.event == event) return true;
    return false;
  }
};

// The target database of a test: `app` in the handler's config names it.
template <class Backend>
struct Target {
  Backend backend;
  std::unique_ptr<soci::session> sql = store::open_target_session(backend.url());
  // The instant handlers see as now(), to the millisecond as they read it; rows are written
  // relative to it with ago().
  handlers::Millis now =
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + std::chrono::hours{12};

  static constexpr bool postgres = std::string_view(Backend::kName) == "postgresql";

  void exec(const std::string& statement) { *sql << statement; }
  long long count(const std::string& query) { return ::maintd::testing::count(*sql, query); }
  std::string scalar(const std::string& query) { return ::maintd::testing::scalar(*sql, query); }

  // A timestamp literal `amount` before now, written as the backend's applications write them
  // (SQLite: CURRENT_TIMESTAMP's shape; PostgreSQL: a timestamptz literal), with milliseconds
  // when the instant has any (fmt prints whole seconds only).
  std::string ago(std::chrono::milliseconds amount) const { return literal(amount, false); }
  // The literal of the instant `amount` before now as handlers write it: always with
  // milliseconds (SQLite: "2026-11-25 12:00:00.000"), so that SQLite's text compares equal.
  std::string written(std::chrono::milliseconds amount) const { return literal(amount, true); }

  std::string literal(std::chrono::milliseconds amount, bool with_millis) const {
    const auto at = std::chrono::floor<std::chrono::milliseconds>(now - amount);
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
    const auto millis = (at - seconds).count();
    const auto fraction =
        millis == 0 && !with_millis ? std::string() : fmt::format(".{:03}", millis);
    return postgres ? fmt::format("'{:%Y-%m-%d %H:%M:%S}{}+00'", seconds, fraction)
                    : fmt::format("'{:%Y-%m-%d %H:%M:%S}{}'", seconds, fraction);
  }

  // Sessions for the handler: `app` is this target; any other name is not declared.
  registry::HandlerContext::SessionFactory sessions() const {
    const auto url = backend.url();
    return [url](const std::string& name) -> std::unique_ptr<soci::session> {
      if (name != "app") throw std::runtime_error("no database named '" + name + "'");
      return store::open_target_session(url);
    };
  }

  // A context for running `type` with `config` (schema defaults filled in by the registry's
  // schema, as the executor does).
  std::unique_ptr<HandlerRun> context(const std::string& type, nlohmann::json config,
                                      bool dry_run = false) const {
    static const auto registry = handlers::builtin_registry();
    const auto resolved = registry.resolve(type);
    REQUIRE_MESSAGE(resolved.has_value(), "unknown type " << type);
    const auto& schema = resolved.value().handler->schema;
    const auto issues = schema.check(config, {"app"});
    for (const auto& issue : issues) FAIL_CHECK("config." << issue.key << ": " << issue.message);
    auto run = std::make_unique<HandlerRun>();
    run->context.task_name = type;
    run->context.type = type;
    run->context.config = schema.with_defaults(config);
    run->context.dry_run = dry_run;
    run->context.cancelled = run->stop.get_token();
    run->context.sessions = sessions();
    const auto at = now;
    run->context.clock = [at] { return at; };
    run->context.on_event = [events = run->events](registry::EventLevel level,
                                                   std::string_view event,
                                                   std::string_view message) {
      events->push_back({level, std::string(event), std::string(message)});
    };
    run->context.on_progress = [progress = run->progress](const registry::Progress& p) {
      progress->push_back(p);
    };
    return run;
  }
};

// A result's list of ids.
inline std::vector<std::string> ids_of(const nlohmann::json& list) {
  return list.get<std::vector<std::string>>();
}

// The registered handler for `type`.
inline const registry::HandlerInfo& handler(const std::string& type) {
  static const auto registry = handlers::builtin_registry();
  const auto resolved = registry.resolve(type);
  REQUIRE_MESSAGE(resolved.has_value(), "unknown type " << type);
  return *resolved.value().handler;
}

// Two runs of one handler at once, each with its own context, racing for the same rows: both
// read their first batch's candidates before either updates, so the race is certain, not left
// to the scheduler. `run_with_hook(context, hook)` runs the handler with `hook` called between
// its read and its update (the handlers' test entry points). Rethrows a run's exception.
template <class RunWithHook>
std::array<nlohmann::json, 2> race_two_runs(HandlerRun& first, HandlerRun& second,
                                            RunWithHook run_with_hook) {
  std::latch start(2);
  std::latch both_read(2);
  std::array<nlohmann::json, 2> results;
  std::exception_ptr errors[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto& run = i == 0 ? first : second;
      start.arrive_and_wait();
      bool first_batch = true;
      try {
        results[i] = run_with_hook(run.context, std::function<void()>([&] {
                                     if (std::exchange(first_batch, false)) {
                                       both_read.arrive_and_wait();
                                     }
                                   }));
      } catch (...) {
        errors[i] = std::current_exception();
        if (first_batch) both_read.count_down();  // never leave the other run waiting
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return results;
}

}  // namespace maintd::testing
