#pragma once
// The state database: a pool of SOCI sessions to SQLite or PostgreSQL, and the one place where
// the two dialects differ.
#include <soci/soci.h>

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "config/database_url.hpp"
#include "store/store_error.hpp"

namespace maintd::store {

enum class Dialect { sqlite, postgresql };

struct DatabaseOptions {
  std::size_t pool_size = 4;  // sessions, i.e. statements that can run at once
  // SQLite only: how long a writer waits for another writer's lock before its statement fails
  // with StoreUnavailable ("database is locked").
  std::chrono::milliseconds busy_timeout{5000};
};

class Database {
 public:
  // Connects `options.pool_size` sessions. SQLite: the file is created if missing (its directory
  // must exist), WAL journal, foreign keys on, `options.busy_timeout`. Throws StoreUnavailable
  // with the reason (and never the password) when it cannot connect.
  static std::shared_ptr<Database> open(const config::DatabaseUrl& url,
                                        const DatabaseOptions& options = {});
  static std::shared_ptr<Database> open(const config::DatabaseUrl& url, std::size_t pool_size) {
    return open(url, DatabaseOptions{.pool_size = pool_size});
  }

  Dialect dialect() const { return dialect_; }
  const std::string& display() const { return display_; }  // the URL without its password
  soci::connection_pool& pool() { return *pool_; }

  // Runs `body(session)` on a session leased from the pool and returns what it returns. A
  // session whose connection was lost (the server restarted) reconnects first. Failures become
  // StoreUnavailable (the database cannot be reached or used: lost connection, locked, schema
  // missing) or StoreError (anything else), with `what` ("claiming a slot") and the database's
  // reason in the message; StoreErrors thrown by `body` pass through.
  template <class Body>
  auto with_session(std::string_view what, Body&& body) {
    // The pool's own session, not a leased copy: reconnecting it must change the one the pool
    // hands out next.
    const Lease lease(*pool_);
    soci::session& sql = lease.session();
    for (int attempt = 1;; ++attempt) {
      try {
        ensure_connected(sql);
        return body(sql);
      } catch (const StoreError&) {
        throw;
      } catch (const std::exception& e) {
        // A connection that died while the session sat in the pool (the server restarted)
        // fails its first statement before the server saw it: reconnected, run it once more.
        if (attempt == 1 && reconnect_lost(sql)) continue;
        fail(sql, what, e);
      }
    }
  }

  // A database error's own message, without SOCI's context (the statement and the values bound
  // to it, which may be long or hold data that must not reach a log) on a single line.
  static std::string describe(const std::exception& e);

  // The dialect seam: the few places SQL differs.
  std::string auto_id_column()
      const;  // "INTEGER PRIMARY KEY AUTOINCREMENT" / "BIGSERIAL PRIMARY KEY"
  std::string id_reference_type() const;  // a column referring to an auto id: INTEGER / BIGINT
  // The column type of a Timestamp. On PostgreSQL with the "C" collation: timestamps compare and
  // sort byte by byte, as on SQLite, whatever the database's default collation.
  std::string timestamp_type() const;
  std::string now_expression() const;  // the database's own clock, as a Timestamp string
  // The database's clock `ago` in the past, as a Timestamp string (for leases). `ago` >= 0.
  std::string now_minus_expression(std::chrono::seconds ago) const;
  bool table_exists(soci::session& sql, const std::string& table) const;

  Database(Dialect dialect, std::string display, const DatabaseOptions& options);

 private:
  class Lease {
   public:
    explicit Lease(soci::connection_pool& pool) : pool_(pool), position_(pool.lease()) {}
    ~Lease() { pool_.give_back(position_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    soci::session& session() const { return pool_.at(position_); }

   private:
    soci::connection_pool& pool_;
    std::size_t position_;
  };

  // Per-connection settings, applied on open and again after a reconnect.
  void configure(soci::session& sql) const;
  void ensure_connected(soci::session& sql) const;
  // PostgreSQL: whether the session had lost its connection and is connected again now.
  bool reconnect_lost(soci::session& sql) const;
  [[noreturn]] void fail(soci::session& sql, std::string_view what,
                         const std::exception& error) const;

  Dialect dialect_;
  std::string display_;
  DatabaseOptions options_;
  std::unique_ptr<soci::connection_pool> pool_;
};

}  // namespace maintd::store
