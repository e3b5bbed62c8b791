#pragma once
// The state database: a pool of SOCI sessions to SQLite or PostgreSQL, and the one place where
// the two dialects differ.
#include <soci/soci.h>

#include <memory>
#include <string>

#include "config/database_url.hpp"

namespace maintd::store {

enum class Dialect { sqlite, postgresql };

class Database {
 public:
  // Connects `pool_size` sessions. SQLite: the file is created if missing (its directory must
  // exist), WAL journal, foreign keys on, a 5 s busy timeout. Throws StoreUnavailable with the
  // reason (and never the password) when it cannot connect.
  static std::shared_ptr<Database> open(const config::DatabaseUrl& url, std::size_t pool_size = 4);

  Dialect dialect() const { return dialect_; }
  const std::string& display() const { return display_; }  // the URL without its password
  soci::connection_pool& pool() { return *pool_; }

  // The dialect seam: the few places SQL differs.
  std::string auto_id_column()
      const;  // "INTEGER PRIMARY KEY AUTOINCREMENT" / "BIGSERIAL PRIMARY KEY"
  std::string now_expression() const;  // the database's own clock, as a Timestamp string

  Database(Dialect dialect, std::string display, std::size_t pool_size);

 private:
  Dialect dialect_;
  std::string display_;
  std::unique_ptr<soci::connection_pool> pool_;
};

}  // namespace maintd::store
