#pragma once
// The state database: a pool of SOCI sessions to SQLite or PostgreSQL, and the one place where
// the two dialects differ.
#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "connection/database_url.hpp"
#include "store/connection_watchdog.hpp"
#include "store/store_error.hpp"

namespace maintd::store {

enum class Dialect { sqlite, postgresql };

struct DatabaseOptions {
  std::size_t pool_size = 4;  // sessions, i.e. statements that can run at once
  // SQLite only: how long a writer waits for another writer's lock before its statement fails
  // with StoreUnavailable ("database is locked").
  std::chrono::milliseconds busy_timeout{5000};
  // An application's database (the task table's, `task_table.database`), not maintd's own:
  // SQLite's journal mode and sync setting, which last beyond the connection, are left as the
  // application set them.
  bool application = false;
  // PostgreSQL: the schema maintd's own tables are in (`state_schema:`): each session's
  // search_path is this schema, then the database's default path, so that the application's
  // tables of the same database (its scheduled_tasks) are still found. Empty: the default path.
  std::string schema{};
};

// Waits on a PostgreSQL state database are bounded (connection::DatabaseTimeouts): connecting by
// libpq's connect_timeout (in url.connect), each statement by the server's statement_timeout
// (set after connecting, url.statement_timeout) and, for a server that cannot enforce it any
// more (stopped, hung, cut off), by maintd itself: a session whose server has not answered for
// the statement timeout plus kAnswerMargin is cut off (store/connection_watchdog.hpp) and the
// call fails with StoreTimeout. Waiting for a free session is bounded the same way. SQLite has
// its busy timeout.
class Database {
 public:
  // How much longer than its statement timeout maintd waits for the server's answer (at most;
  // never more than the statement timeout itself, so a short one stays short): the server's own
  // timeout, which says what happened, comes first when the server can answer.
  static constexpr std::chrono::seconds kAnswerMargin{5};
  // After shorten_waits' limit, how long each call may still wait for a server that has kept
  // answering: enough to record the ends of the runs cancelled at the end of shutdown_grace.
  static constexpr std::chrono::milliseconds kAnswerAfterGrace{2000};

  // Connects `options.pool_size` sessions. SQLite: the file is created if missing (its directory
  // must exist), WAL journal, foreign keys on, `options.busy_timeout`. Throws StoreUnavailable
  // with the reason (and never the password) when it cannot connect (StoreTimeout when the
  // server did not answer within the connect timeout).
  static std::shared_ptr<Database> open(const connection::DatabaseUrl& url,
                                        const DatabaseOptions& options = {});
  static std::shared_ptr<Database> open(const connection::DatabaseUrl& url, std::size_t pool_size) {
    return open(url, DatabaseOptions{.pool_size = pool_size});
  }

  Dialect dialect() const { return dialect_; }
  // PostgreSQL: the schema of maintd's tables (DatabaseOptions::schema); empty: the default.
  const std::string& schema() const { return options_.schema; }
  const std::string& display() const { return display_; }  // the URL without its password
  soci::connection_pool& pool() { return *pool_; }

  // Runs `body(session)` on a session leased from the pool and returns what it returns. A
  // session whose connection was lost (the server restarted) reconnects first. Failures become
  // StoreUnavailable (the database cannot be reached or used: lost connection, locked, schema
  // missing; StoreTimeout when it did not answer in time) or StoreError (anything else), with
  // `what` ("claiming a slot") and the database's reason in the message; StoreErrors thrown by
  // `body` pass through. The server's answers are waited for as the class comment says: the
  // limit counts again from each statement `body` prepares.
  template <class Body>
  auto with_session(std::string_view what, Body&& body) {
    try {
      return run_session(what, std::forward<Body>(body));
    } catch (const StoreUnavailable& e) {
      not_answering(e.what());
      throw;
    }
  }

  // What the last calls found, for readiness (/readyz) and the log: kept up to date by every
  // call, read without waiting for a session or the server. `answering` is false from a call
  // that found the database unavailable (or not answering) until the next one that it answered.
  struct Health {
    bool answering = true;
    std::string problem;  // the failure's message (names the database, never its password)
    std::chrono::steady_clock::time_point last_answer;  // open(), then each successful call
    std::chrono::steady_clock::time_point since;        // when `answering` last changed
  };
  Health health() const;
  // Called (from the thread of the call that noticed) when the database stops answering (with
  // the failure's message) and when it answers again (empty message). For the daemon's log.
  using AvailabilityObserver = std::function<void(bool answering, const std::string& message)>;
  void observe_availability(AvailabilityObserver observer);

  // For shutdown: no wait on this database lasts past now + `limit`. Waits in progress end by
  // then, new ones are given what is left (kAnswerAfterGrace each once it is over: the ends of
  // cancelled runs are still recorded), and once the server has failed to answer one, the next
  // ones fail at once (StoreTimeout) instead of waiting again.
  void shorten_waits(std::chrono::milliseconds limit);
  // The longest maintd waits for one answer of the server: the statement timeout plus
  // answer_margin() (0: no limit, SQLite or no statement timeout), or shorten_waits' limit.
  std::chrono::milliseconds answer_limit() const;
  std::chrono::milliseconds answer_margin() const;

  // A database error's own message on a single line, without the statement, its values or the
  // rows it quotes (registry/database_error_text.hpp, as for handlers).
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
  bool table_exists(soci::session& sql, const std::string& table) const;  // in the current schema
  // Whether a query naming `table` finds it: on PostgreSQL, in any schema of the search_path
  // (an application's table beside maintd's own schema).
  bool relation_visible(soci::session& sql, const std::string& table) const;

  Database(Dialect dialect, const connection::DatabaseUrl& url, const DatabaseOptions& options);

  // What a session's statements renew (via a SOCI logger): the watch of the call in progress.
  struct SessionState {
    ConnectionWatchdog::Watch* watch = nullptr;
  };

 private:
  template <class Body>
  auto run_session(std::string_view what, Body&& body) {
    refuse_when_stopping(what);
    // The pool's own session, not a leased copy: reconnecting it must change the one the pool
    // hands out next.
    const Lease lease(*this, what);
    soci::session& sql = lease.session();
    for (int attempt = 1;; ++attempt) {
      // Outside the try: it still bounds what fail() asks the server, and says whether it fired.
      ConnectionWatchdog::Watch watch;
      try {
        ensure_connected(sql, what);
        watch = watch_session(sql);
        const Watching watching(lease.state(), watch);
        if constexpr (std::is_void_v<decltype(body(sql))>) {
          body(sql);
          answered();
          return;
        } else {
          auto result = body(sql);
          answered();
          return result;
        }
      } catch (const StoreError&) {
        throw;
      } catch (const std::exception& e) {
        if (watch.fired()) unanswered(sql, what, watch);
        // A connection that died while the session sat in the pool (the server restarted)
        // fails its first statement before the server saw it: reconnected, run it once more.
        if (attempt == 1 && reconnect_lost(sql)) continue;
        fail(sql, what, e);
      }
    }
  }

  class Lease {
   public:
    // Waits for a free session, bounded (StoreTimeout) when the server's answers are.
    Lease(Database& database, std::string_view what);
    ~Lease() { pool_.give_back(position_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    soci::session& session() const { return pool_.at(position_); }
    SessionState& state() const { return *states_[position_]; }

   private:
    soci::connection_pool& pool_;
    const std::vector<std::unique_ptr<SessionState>>& states_;
    std::size_t position_;
  };
  class Watching {
   public:
    Watching(SessionState& state, ConnectionWatchdog::Watch& watch) : state_(state) {
      state_.watch = &watch;
    }
    ~Watching() { state_.watch = nullptr; }
    Watching(const Watching&) = delete;
    Watching& operator=(const Watching&) = delete;

   private:
    SessionState& state_;
  };

  // Per-connection settings, applied on open and again after a reconnect.
  void configure(soci::session& sql);
  // SQLite: the WAL journal, retried while another process switches the same file.
  void set_wal_mode(soci::session& sql);
  void ensure_connected(soci::session& sql, std::string_view what);
  // PostgreSQL: whether the session had lost its connection and is connected again now.
  bool reconnect_lost(soci::session& sql);
  // The watch for a call on `sql` (inactive for SQLite or without a limit).
  ConnectionWatchdog::Watch watch_session(soci::session& sql) const;
  void refuse_when_stopping(std::string_view what) const;
  void answered();
  void not_answering(const std::string& message);
  // The watch fired: the server did not answer within its limit.
  [[noreturn]] void unanswered(soci::session& sql, std::string_view what,
                               const ConnectionWatchdog::Watch& watch);
  [[noreturn]] void fail(soci::session& sql, std::string_view what, const std::exception& error);
  // "connect timed out after 5 s" when `reason` is libpq's connect timeout; empty otherwise.
  std::string connect_timeout_text(const std::string& reason) const;
  // The display form, followed by a space when it ends in a masked password (see describe()).
  std::string shown() const;

  Dialect dialect_;
  std::string display_;
  DatabaseOptions options_;
  std::chrono::seconds connect_timeout_{0};
  std::chrono::milliseconds statement_timeout_{0};
  bool statement_timeout_in_url_ = false;
  std::unique_ptr<soci::connection_pool> pool_;
  std::vector<std::unique_ptr<SessionState>> states_;  // by pool position
  // shorten_waits: every wait ends by this steady_clock time (in ns since its epoch); 0: not
  // stopping.
  std::atomic<long long> stopping_deadline_ns_{0};
  // The server failed to answer (a watch fired, a connect timed out) and has not answered since.
  std::atomic<bool> unresponsive_{false};
  mutable std::mutex health_mutex_;  // guards the two below
  Health health_;
  AvailabilityObserver observer_;
};

}  // namespace maintd::store
