#pragma once
// The stale-draft guide's creations with a token ledger (shared/seeds/stale-draft-detection-
// cleanup-system.md): text ids like the guide's, the tokens each creation cost, and a ledger
// the refund step writes to.
#include <fmt/chrono.h>  // handler_fixture.hpp formats time points (Target::ago)
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "handler_fixture.hpp"

namespace maintd::testing {

template <class Target>
void create_creations(Target& target) {
  const char* ts = Target::postgres ? "timestamptz" : "TEXT";
  target.exec(fmt::format(
      "CREATE TABLE creations (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, prompt TEXT, "
      "creation_type TEXT NOT NULL DEFAULT 'image', status TEXT NOT NULL, created_at {0} NOT NULL, "
      "updated_at {0}, error TEXT, tokens_cost INTEGER)",
      ts));
  target.exec("CREATE TABLE users (id TEXT PRIMARY KEY, tokens INTEGER NOT NULL DEFAULT 0)");
  target.exec(
      "CREATE TABLE token_ledger (creation_id TEXT NOT NULL, user_id TEXT NOT NULL, "
      "amount INTEGER NOT NULL, reason TEXT NOT NULL)");
}

template <class Target>
void add_creation(Target& target, const std::string& id, const std::string& status,
                  std::chrono::milliseconds age, const std::string& user = "u1", int cost = 5) {
  target.exec(fmt::format(
      "INSERT INTO creations (id, user_id, prompt, status, created_at, tokens_cost) VALUES "
      "('{}', '{}', 'a cat in a hat', '{}', {}, {})",
      id, user, status, target.ago(age), cost));
}

inline constexpr const char* kLedgerRefund =
    "INSERT INTO token_ledger (creation_id, user_id, amount, reason) "
    "VALUES (:id, :user_id, :amount, 'refund: generation timeout')";

inline nlohmann::json creations_config() {
  return {{"database", "app"},
          {"table", "creations"},
          {"updated_at_column", "updated_at"},
          {"refund_sql", kLedgerRefund},
          {"user_id_column", "user_id"},
          {"amount_column", "tokens_cost"}};
}

}  // namespace maintd::testing
