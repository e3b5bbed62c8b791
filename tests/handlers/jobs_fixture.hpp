#pragma once
// The crawl-job table of shared/seeds/robust-completion-solution-race-condition-eliminated.md.
#include <fmt/chrono.h>  // handler_fixture.hpp formats time points (Target::ago)
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>

#include "handler_fixture.hpp"

namespace maintd::testing {

template <class Target>
void create_crawl_jobs(Target& target) {
  const char* ts = Target::postgres ? "timestamptz" : "TEXT";
  target.exec(
      fmt::format("CREATE TABLE crawl_jobs (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, "
                  "status TEXT NOT NULL, started_at {0}, completed_at {0}, total_pages INTEGER, "
                  "error_message TEXT)",
                  ts));
}

// A job started `started_ago` before now, in `status`, completed `completed_ago` before now.
template <class Target>
void add_job(Target& target, int id, const std::string& status,
             std::chrono::milliseconds started_ago,
             std::optional<std::chrono::milliseconds> completed_ago = std::nullopt,
             std::optional<int> total_pages = std::nullopt) {
  target.exec(fmt::format(
      "INSERT INTO crawl_jobs (id, project_id, status, started_at, completed_at, total_pages) "
      "VALUES ({}, {}, '{}', {}, {}, {})",
      id, 100 + id, status, target.ago(started_ago),
      completed_ago ? target.ago(*completed_ago) : "NULL",
      total_pages ? std::to_string(*total_pages) : "NULL"));
}

}  // namespace maintd::testing
