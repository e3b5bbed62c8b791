#pragma once
// The Human Staging Portal's claims table (shared/seeds/task-claim-management-guide.md), as the
// claims handler tests and the examples in schedules/examples/claims.yaml see it: mixed-case
// quoted columns included, because the guide's are ("WF_Extraction_Complete").
#include <fmt/chrono.h>  // handler_fixture.hpp formats time points (Target::ago)
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "handler_fixture.hpp"

namespace maintd::testing {

template <class Target>
void create_soup_dedupe(Target& target) {
  target.exec(fmt::format(
      "CREATE TABLE soup_dedupe (id INTEGER PRIMARY KEY, title TEXT, "
      "extraction_path INTEGER NOT NULL DEFAULT 2, dedupe_status TEXT NOT NULL DEFAULT 'original', "
      "\"WF_Pre_Check_Complete\" BOOLEAN NOT NULL DEFAULT TRUE, "
      "\"WF_Patch_Duplicate_Syndicate\" TEXT NOT NULL DEFAULT 'creator', "
      "wf_timestamp_claimed_at {}, claimed_by TEXT, \"WF_Extraction_Complete\" BOOLEAN)",
      Target::postgres ? "timestamptz" : "TEXT"));
}

// A task claimed `claimed_ago` before the target's now (unclaimed when nullopt).
template <class Target>
void add_task(Target& target, int id, std::optional<std::chrono::milliseconds> claimed_ago,
              bool complete = false, int extraction_path = 2) {
  target.exec(fmt::format(
      "INSERT INTO soup_dedupe (id, title, extraction_path, wf_timestamp_claimed_at, claimed_by, "
      "\"WF_Extraction_Complete\") VALUES ({}, 'article {}', {}, {}, {}, {})",
      id, id, extraction_path, claimed_ago ? target.ago(*claimed_ago) : "NULL",
      claimed_ago ? fmt::format("'scraper-{}'", id % 3) : "NULL", complete ? "TRUE" : "FALSE"));
}

// The config of the guide's release: its claim column, its completion flag, its filters.
inline nlohmann::json soup_dedupe_config() {
  return {{"database", "app"},
          {"table", "soup_dedupe"},
          {"claimed_at_column", "wf_timestamp_claimed_at"},
          {"claimed_by_column", "claimed_by"},
          {"completed_column", "WF_Extraction_Complete"},
          {"where", "extraction_path = 2 AND dedupe_status = 'original'"}};
}

}  // namespace maintd::testing
