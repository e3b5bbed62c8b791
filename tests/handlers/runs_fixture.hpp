#pragma once
// The tender scraper's `runs` table (the auto-cleanup guide): status, timestamps, the two
// progress counters, a retry count, and a checkpoint file per run in a temporary directory.
// Timestamps are timestamptz on PostgreSQL and CURRENT_TIMESTAMP-shaped text on SQLite, as the
// applications write them.
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "handler_fixture.hpp"
#include "handlers/support/target_sql.hpp"
#include "support/temp_dir.hpp"

namespace maintd::testing {

using namespace std::chrono_literals;

template <class Backend>
struct ScraperRuns {
  Target<Backend> target;
  TempDir checkpoints;

  ScraperRuns() {
    target.exec(fmt::format(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, portal_name TEXT NOT NULL, status TEXT NOT "
        "NULL, started_at {0}, updated_at {0}, completed_at {0}, extracted_total_tenders "
        "INTEGER DEFAULT 0, skipped_existing_total INTEGER, retry_count INTEGER NOT NULL "
        "DEFAULT 0, error_message TEXT)",
        timestamp_type()));
  }

  std::string timestamp_type() const { return target.postgres ? "timestamptz" : "TEXT"; }

  struct Row {
    int id;
    std::string status = "running";
    std::chrono::milliseconds age = 0s;
    int extracted = 0;
    std::optional<int> skipped = std::nullopt;
    int retries = 0;
    std::string portal = "portal_a";
  };
  void add(const Row& row) {
    target.exec(fmt::format(
        "INSERT INTO runs (id, portal_name, status, started_at, extracted_total_tenders, "
        "skipped_existing_total, retry_count) VALUES ({}, '{}', '{}', {}, {}, {}, {})",
        row.id, row.portal, row.status, target.ago(row.age), row.extracted,
        row.skipped ? std::to_string(*row.skipped) : "NULL", row.retries));
  }

  std::string checkpoint_template() const { return (checkpoints.path() / "{id}.json").string(); }
  void checkpoint(int id, const std::string& content) {
    checkpoints.write(std::to_string(id) + ".json", content);
  }

  std::string status(int id) {
    return target.scalar(fmt::format("SELECT status FROM runs WHERE id = {}", id));
  }
  long long retries(int id) {
    return target.count(fmt::format("SELECT retry_count FROM runs WHERE id = {}", id));
  }
  std::string error(int id) {
    return target.scalar(fmt::format("SELECT error_message FROM runs WHERE id = {}", id));
  }
  bool completed(int id) {
    return target.count(fmt::format(
               "SELECT COUNT(*) FROM runs WHERE id = {} AND completed_at IS NOT NULL", id)) == 1;
  }

  // Every row, every column: to show that nothing changed.
  std::vector<std::vector<std::string>> snapshot() {
    handlers::TargetSql sql(*target.sql);
    return sql.rows("SELECT * FROM runs ORDER BY id");
  }

  // The scraper's config: its columns, its progress counters, its checkpoint files.
  nlohmann::json config(const nlohmann::json& extra = nlohmann::json::object()) const {
    nlohmann::json config = {
        {"database", "app"},
        {"table", "runs"},
        {"age_column", "started_at"},
        {"progress_columns", {"extracted_total_tenders", "skipped_existing_total"}},
        {"checkpoint_path", checkpoint_template()},
    };
    config.update(extra);
    return config;
  }
};

}  // namespace maintd::testing
