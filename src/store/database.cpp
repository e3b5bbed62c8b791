#include "store/database.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "registry/database_error_text.hpp"
#include "store/sqlite_functions.hpp"

namespace maintd::store {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "5 s", "1500 ms": how long something waited, in messages.
std::string wait_text(milliseconds wait) {
  if (wait.count() % 1000 == 0) return fmt::format("{} s", wait.count() / 1000);
  return fmt::format("{} ms", wait.count());
}

// The PostgreSQL connection under a session of a PostgreSQL database, if it has one. A
// static_cast: libsoci_postgresql does not export the backend's typeinfo (no dynamic_cast), and
// the caller knows the dialect.
PGconn* connection_of(soci::session& sql) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  return backend != nullptr ? backend->conn_ : nullptr;
}

// Each statement a session prepares renews the watch of the call in progress: the limit is on
// waiting for one answer, not on a whole transaction of many statements. (SOCI calls the
// logger when it prepares a statement; BEGIN and COMMIT go without, which only makes their
// limit count from the statement before.)
class RenewingLogger : public soci::logger_impl {
 public:
  explicit RenewingLogger(Database::SessionState* state) : state_(state) {}
  void start_query(std::string const& query) override {
    last_query_ = query;
    if (state_->watch != nullptr) state_->watch->renew();
  }
  std::string get_last_query() const override { return last_query_; }

 private:
  logger_impl* do_clone() const override { return new RenewingLogger(state_); }
  Database::SessionState* state_;
  std::string last_query_;
};

}  // namespace

Database::Database(Dialect dialect, const connection::DatabaseUrl& url,
                   const DatabaseOptions& options)
    : dialect_(dialect),
      display_(url.display),
      options_(options),
      connect_timeout_(url.connect_timeout),
      statement_timeout_(url.statement_timeout),
      statement_timeout_in_url_(url.statement_timeout_in_url),
      pool_(std::make_unique<soci::connection_pool>(options.pool_size)) {
  for (std::size_t i = 0; i < options.pool_size; ++i) {
    states_.push_back(std::make_unique<SessionState>());
  }
  health_.last_answer = health_.since = Clock::now();
}

Database::Lease::Lease(Database& database, std::string_view what)
    : pool_(*database.pool_), states_(database.states_), position_(0) {
  const milliseconds limit = database.answer_limit();
  if (limit.count() <= 0) {
    position_ = pool_.lease();
    return;
  }
  // Every session busy: each is freed within its own limit (plus a reconnect), or the server
  // is not answering anybody.
  const milliseconds wait = limit + milliseconds(database.connect_timeout_);
  if (!pool_.try_lease(position_, static_cast<int>(wait.count()))) {
    throw StoreTimeout(fmt::format(
        "{} failed on the state database {}: no session became free within {} (all {} were "
        "waiting for the server)",
        what, database.display_, wait_text(wait), database.options_.pool_size));
  }
}

std::shared_ptr<Database> Database::open(const connection::DatabaseUrl& url,
                                         const DatabaseOptions& options) {
  if (options.pool_size == 0) throw std::invalid_argument("Database::open: pool_size 0");
  const bool sqlite = url.backend == connection::DatabaseUrl::Backend::sqlite3;
  if (sqlite) {
    // SQLite creates the file but not its directory; say which directory is missing.
    const std::filesystem::path file(url.connect.substr(3));  // after "db="
    if (!file.parent_path().empty()) {
      std::error_code error;
      const auto directory = std::filesystem::status(file.parent_path(), error);
      std::string problem;
      if (directory.type() == std::filesystem::file_type::not_found) {
        problem = "does not exist";
      } else if (error) {  // not ours to look into: a state directory of another user
        problem = "cannot be read: " + error.message() + "; run as the service's user";
      } else if (directory.type() != std::filesystem::file_type::directory) {
        problem = "is not a directory";
      }
      if (!problem.empty()) {
        throw StoreUnavailable(
            fmt::format("cannot open the state database {} (the directory {} {})", url.display,
                        file.parent_path().string(), problem));
      }
    }
  }
  auto database =
      std::make_shared<Database>(sqlite ? Dialect::sqlite : Dialect::postgresql, url, options);
  try {
    for (std::size_t i = 0; i < options.pool_size; ++i) {
      soci::session& session = database->pool_->at(i);
      session.set_logger(soci::logger(new RenewingLogger(database->states_[i].get())));
      // The two-argument form: url.connect is a libpq keyword/value string written for
      // soci::postgresql's own rewriting of it (connection/soci_connect.hpp).
      const soci::backend_factory& backend =
          sqlite ? static_cast<const soci::backend_factory&>(soci::sqlite3) : soci::postgresql;
      session.open(backend, url.connect);
      database->configure(session);
    }
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    const std::string reason = describe(e);
    const std::string timed_out = database->connect_timeout_text(reason);
    if (!timed_out.empty()) {
      throw StoreTimeout(
          fmt::format("cannot open the state database {}: {}", database->shown(), timed_out));
    }
    throw StoreUnavailable(
        fmt::format("cannot open the state database {} ({})", url.display, reason));
  }
  return database;
}

void Database::set_wal_mode(soci::session& sql) {
  // Not every lock on this path goes through the busy handler: while another process creates
  // the file and switches it to WAL (several maintd processes migrating one new database at
  // once), this pragma can fail with "database is locked" at once. Retry it, within the same
  // busy timeout, as the handler would have waited.
  const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
  for (;;) {
    try {
      sql << "PRAGMA journal_mode = WAL";
      break;
    } catch (const soci::sqlite3_soci_error& e) {
      const int code = e.result() & 0xff;
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() >= deadline) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

void Database::configure(soci::session& sql) {
  if (dialect_ == Dialect::sqlite) {
    // The busy timeout first: switching to WAL takes a lock another process may hold.
    sql << "PRAGMA busy_timeout = " << options_.busy_timeout.count();
    if (!options_.application) set_wal_mode(sql);
    sql << "PRAGMA foreign_keys = ON";
    register_sqlite_functions(sql);
    if (!options_.application) {
      // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a power cut may
      // lose the last runs recorded, never corrupt the file.
      sql << "PRAGMA synchronous = NORMAL";
    }
  } else {
    // Connected means the server answered just now; these few statements are bounded too (a
    // server that stops right after the connection would hold them for ever).
    const ConnectionWatchdog::Watch watch = watch_session(sql);
    try {
      // libpq prints notices ("relation ... already exists, skipping") on stderr; keep warnings.
      sql << "SET client_min_messages = warning";
      // maintd's own statements end on the server after this long, with a message that says
      // so. A statement_timeout in the URL (options) is libpq's to set, not ours.
      if (statement_timeout_.count() > 0 && !statement_timeout_in_url_) {
        sql << "SET statement_timeout = " << statement_timeout_.count();
      }
      if (!options_.schema.empty()) {
        // The schema first, then whatever the path was (the application's tables).
        std::string path;
        sql << "SHOW search_path", soci::into(path);
        sql << "SET search_path TO \"" << options_.schema << "\", " << path;
      }
    } catch (const std::exception&) {
      if (watch.fired()) unanswered(sql, "connecting", watch);
      throw;
    }
  }
}

void Database::ensure_connected(soci::session& sql, std::string_view what) {
  // A session whose reconnect failed during an outage has no backend; try again now.
  if (sql.get_backend() == nullptr) {
    try {
      sql.reconnect();
    } catch (const std::exception& e) {
      const std::string timed_out = connect_timeout_text(describe(e));
      if (timed_out.empty()) throw;
      unresponsive_ = true;
      throw StoreTimeout(
          fmt::format("{} failed on the state database {}: {}", what, shown(), timed_out));
    }
    configure(sql);
  }
}

bool Database::reconnect_lost(soci::session& sql) {
  if (dialect_ != Dialect::postgresql || sql.get_backend() == nullptr || sql.is_connected()) {
    return false;
  }
  try {
    sql.reconnect();
    configure(sql);
    return true;
  } catch (const std::exception&) {
    return false;  // still down: fail() reports it, ensure_connected() tries again next time
  }
}

ConnectionWatchdog::Watch Database::watch_session(soci::session& sql) const {
  if (dialect_ != Dialect::postgresql) return {};
  const milliseconds limit = answer_limit();
  PGconn* connection = connection_of(sql);
  if (limit.count() <= 0 || connection == nullptr) return {};
  return ConnectionWatchdog::instance().watch(PQsocket(connection), limit, this);
}

milliseconds Database::answer_limit() const {
  milliseconds limit(0);
  if (dialect_ == Dialect::postgresql && statement_timeout_.count() > 0) {
    limit = statement_timeout_ + answer_margin();
  }
  if (const long long deadline = stopping_deadline_ns_.load(); deadline != 0) {
    const auto left = std::chrono::duration_cast<milliseconds>(
        Clock::time_point(std::chrono::nanoseconds(deadline)) - Clock::now());
    // Once the time is up, a server that still answers gets kAnswerAfterGrace per call: the
    // runs cancelled at the end of the grace period must still be recorded as cancelled (not
    // left "running" for the next start to mark abandoned). One that stopped answering is not
    // asked again (refuse_when_stopping), and the process's own exit deadline bounds the rest.
    const milliseconds stopping = left.count() > 0 ? left : milliseconds(kAnswerAfterGrace);
    if (limit.count() == 0 || stopping < limit) limit = stopping;
  }
  return limit;
}

milliseconds Database::answer_margin() const {
  return std::min<milliseconds>(kAnswerMargin, statement_timeout_);
}

void Database::shorten_waits(milliseconds limit) {
  const auto deadline = Clock::now() + std::max(limit, milliseconds(1));
  long long expected = 0;
  const long long wanted =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  // The earliest deadline wins (a second SIGTERM must not extend the first one's).
  while (!stopping_deadline_ns_.compare_exchange_weak(expected, wanted)) {
    if (expected != 0 && expected <= wanted) return;
  }
  ConnectionWatchdog::instance().cut_group(this, deadline);
}

void Database::refuse_when_stopping(std::string_view what) const {
  const long long deadline = stopping_deadline_ns_.load();
  if (deadline == 0) return;
  if (unresponsive_) {
    throw StoreTimeout(fmt::format(
        "{} failed on the state database {}: not tried: the server did not answer and maintd "
        "is stopping",
        what, shown()));
  }
}

void Database::answered() {
  unresponsive_ = false;
  AvailabilityObserver observer;
  {
    const std::lock_guard lock(health_mutex_);
    const auto now = Clock::now();
    health_.last_answer = now;
    if (health_.answering) return;
    health_.answering = true;
    health_.problem.clear();
    health_.since = now;
    observer = observer_;
  }
  if (observer) observer(true, {});
}

void Database::not_answering(const std::string& message) {
  AvailabilityObserver observer;
  {
    const std::lock_guard lock(health_mutex_);
    health_.problem = message;
    if (!health_.answering) return;
    health_.answering = false;
    health_.since = Clock::now();
    observer = observer_;
  }
  if (observer) observer(false, message);
}

Database::Health Database::health() const {
  const std::lock_guard lock(health_mutex_);
  return health_;
}

void Database::observe_availability(AvailabilityObserver observer) {
  const std::lock_guard lock(health_mutex_);
  observer_ = std::move(observer);
}

void Database::unanswered(soci::session& sql, std::string_view what,
                          const ConnectionWatchdog::Watch& watch) {
  unresponsive_ = true;
  // The connection is of no use any more (its socket is shut down); the next call on this
  // session connects again (ensure_connected), bounded by the connect timeout.
  sql.close();
  const bool stopping = stopping_deadline_ns_.load() != 0;
  std::string limit = wait_text(watch.limit());
  if (!stopping && statement_timeout_.count() > 0) {
    limit += fmt::format(" (statement timeout {} + {})", wait_text(statement_timeout_),
                         wait_text(answer_margin()));
  } else if (stopping) {
    limit += " (maintd is stopping)";
  }
  throw StoreTimeout(fmt::format(
      "{} failed on the state database {}: no answer from the server within {}; it may be "
      "stopped, hung or unreachable",
      what, shown(), limit));
}

std::string Database::connect_timeout_text(const std::string& reason) const {
  // libpq's words when connect_timeout passes (for each address it tried).
  if (reason.find("timeout expired") == std::string::npos) return {};
  if (connect_timeout_.count() <= 0) return "connect timed out";
  return fmt::format("connect timed out after {}", wait_text(connect_timeout_));
}

std::string Database::shown() const {
  return display_.ends_with("***") ? display_ + " " : display_;
}

void Database::fail(soci::session& sql, std::string_view what, const std::exception& error) {
  const std::string reason = describe(error);
  if (const std::string timed_out = connect_timeout_text(reason); !timed_out.empty()) {
    unresponsive_ = true;
    throw StoreTimeout(
        fmt::format("{} failed on the state database {}: {}", what, shown(), timed_out));
  }
  bool unavailable = reason.find("no such table") != std::string::npos ||
                     reason.find("database is locked") != std::string::npos;
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
    switch (lite->result() & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_CANTOPEN:
      case SQLITE_NOTADB:
      case SQLITE_CORRUPT:
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_READONLY:
      case SQLITE_PERM:
        unavailable = true;
        break;
      default:
        break;
    }
  } else if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    // Connection exceptions, shutdown, out of resources, authentication, no such database, no
    // such table (not migrated).
    const std::string state = pg->sqlstate();
    unavailable = unavailable || state.starts_with("08") || state.starts_with("57P") ||
                  state.starts_with("53") || state.starts_with("28") || state == "3D000" ||
                  state == "42P01";
    // query_canceled by the statement_timeout set in configure() (or the URL's): the server is
    // too busy, or a lock is held, for longer than maintd waits.
    if (state == "57014" && reason.find("statement timeout") != std::string::npos) {
      throw StoreTimeout(fmt::format(
          "{} failed on the state database {}: statement timed out{} ({})", what, shown(),
          statement_timeout_.count() > 0 ? " after " + wait_text(statement_timeout_) : "", reason));
    }
  }
  if (sql.get_backend() == nullptr) {
    // ensure_connected() could not reconnect: still down.
    unavailable = true;
  } else if (dialect_ == Dialect::postgresql && !sql.is_connected()) {
    // Whatever the error said, the connection is gone (is_connected() asks the server, so only
    // here, after a failure). Reconnect now in case the server is back already; if it is not,
    // the session is left without a backend and ensure_connected() tries again at its next use.
    unavailable = true;
    try {
      sql.reconnect();
      configure(sql);
    } catch (const std::exception&) {
    }
  }
  const std::string message =
      fmt::format("{} failed on the state database {} ({})", what, display_, reason);
  if (unavailable) throw StoreUnavailable(message);
  throw StoreError(message);
}

// Messages name the database by its display form, always followed by a space:
// connection::mask_secrets (which StoreError applies to every message) takes a masked
// "password=***" to run up to the next space or '&', so a ':' right after it would vanish.
std::string Database::describe(const std::exception& e) {
  return registry::database_error_text(e);
}

std::string Database::auto_id_column() const {
  return dialect_ == Dialect::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                     : "BIGSERIAL PRIMARY KEY";
}

std::string Database::id_reference_type() const {
  return dialect_ == Dialect::sqlite ? "INTEGER" : "BIGINT";
}

std::string Database::timestamp_type() const {
  return dialect_ == Dialect::sqlite ? "TEXT" : "TEXT COLLATE \"C\"";
}

std::string Database::now_expression() const {
  return dialect_ == Dialect::sqlite
             ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
             : "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

std::string Database::now_minus_expression(std::chrono::seconds ago) const {
  if (ago.count() < 0) throw std::invalid_argument("now_minus_expression: negative interval");
  return dialect_ == Dialect::sqlite
             ? fmt::format("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{} seconds')", ago.count())
             : fmt::format(
                   "to_char((clock_timestamp() - interval '{} seconds') AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                   ago.count());
}

bool Database::table_exists(soci::session& sql, const std::string& table) const {
  long long found = 0;
  std::string name = table;
  if (dialect_ == Dialect::sqlite) {
    sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :name",
        soci::use(name), soci::into(found);
  } else {
    sql << "SELECT COUNT(*) FROM information_schema.tables "
           "WHERE table_schema = current_schema() AND table_name = :name",
        soci::use(name), soci::into(found);
  }
  return found > 0;
}

bool Database::relation_visible(soci::session& sql, const std::string& table) const {
  if (dialect_ == Dialect::sqlite) return table_exists(sql, table);
  long long found = 0;
  std::string name = table;
  sql << "SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass(:name)", soci::use(name),
      soci::into(found);
  return found > 0;
}

}  // namespace maintd::store
