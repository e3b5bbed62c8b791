#pragma once
// Tasks for scheduler tests, built directly (no YAML): a name, a schedule, a zone, policies.
#include <string>

#include "config/config.hpp"
#include "cron/time_zone.hpp"

namespace maintd::testing {

inline Instant at(const std::string& text) {
  return parse_instant(text, cctz::utc_time_zone()).value();
}

struct TaskSpec {
  std::string name;
  std::string schedule;
  std::string zone = "UTC";
  std::chrono::seconds catchup = std::chrono::minutes(5);
  std::chrono::seconds jitter{0};
  bool enabled = true;
  std::string type = "debug.noop";
  nlohmann::json config = nlohmann::json::object();
  config::Concurrency concurrency = config::Concurrency::forbid;
  int retries = 0;
  std::chrono::seconds retry_backoff{30};
  std::chrono::seconds timeout{3600};
  std::optional<std::chrono::seconds> expect_success_within = std::nullopt;
  int pause_after_failures = 0;
};

inline config::Task make_task(const TaskSpec& spec) {
  config::Policies policies;
  policies.catchup = spec.catchup;
  policies.jitter = spec.jitter;
  policies.concurrency = spec.concurrency;
  policies.retries = spec.retries;
  policies.retry_backoff = spec.retry_backoff;
  policies.timeout = spec.timeout;
  policies.expect_success_within = spec.expect_success_within;
  policies.pause_after_failures = spec.pause_after_failures;
  config::Task task{
      spec.name,
      spec.name,
      "",
      "global",
      spec.type,
      spec.type,
      spec.schedule,
      spec.zone,
      cron::Schedule(cron::parse_schedule(spec.schedule).value(), *cron::load_zone(spec.zone)),
      spec.enabled,
      false,
      policies,
      spec.config,
      spec.config,
      config::Location{"test.yaml", 1, 1},
      config::Task::Source::file,
      "test.yaml"};
  return task;
}

}  // namespace maintd::testing
