#pragma once
// A throwaway PostgreSQL server for tests. The project rule is that database tests run against a
// real server started by the harness itself (never a mock, never the packaged cluster, which CI
// does not start), so this class makes a fresh data directory under /tmp (a copy of one initdb
// made once per machine: postgres_template.cpp), starts a server that listens only on a unix
// socket in that directory and removes everything afterwards.
//
// Usage: most tests share one cluster per process and isolate themselves by database:
//
//   auto& pg = maintd::testing::PostgresCluster::shared();
//   soci::session sql(soci::postgresql, pg.create_database("store_migrations"));
//
// Tests that stop the server, or need a second one, construct their own PostgresCluster. Tests
// of connect strings can ask theirs to listen on TCP loopback too and to require passwords of
// some roles (Options).
//
// When the tests run as root (CI), the server tools run as the `postgres` system user, because
// PostgreSQL refuses to run as root; otherwise they run as the current user.
//
// Not thread-safe: use one PostgresCluster from one thread at a time (connections made with its
// connect strings may of course be used from any thread).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace maintd::testing {

class PostgresCluster {
 public:
  // The superuser initdb creates (with trust authentication) and the database every cluster has.
  static constexpr const char* kSuperuser = "maintd";
  static constexpr const char* kDatabase = "maintd_test";

  // What a cluster offers beyond the default: a unix socket only, trust for every role.
  struct Options {
    // Also listen on TCP at 127.0.0.1, and at ::1 when this machine has an IPv6 loopback
    // (listens_on_ipv6()), on port().
    bool tcp_loopback = false;
    // Roles that must give a password (scram-sha-256) on the socket and on TCP; every other role
    // keeps trust. The test creates them (CREATE ROLE ... LOGIN PASSWORD ...).
    std::vector<std::string> password_roles;
  };

  // Creates, starts and populates (database kDatabase) a new cluster. Throws std::runtime_error
  // naming the failed command, its exit status, its output and the tail of the server log.
  PostgresCluster();
  explicit PostgresCluster(Options options);
  // Stops the server (immediate mode) and removes the directory. Never throws. Does nothing in a
  // forked child that did not exec, so such a child exiting cannot take the parent's server down.
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;
  PostgresCluster(PostgresCluster&&) = delete;
  PostgresCluster& operator=(PostgresCluster&&) = delete;

  // One cluster per test process, started on first use (starting one costs about a second) and
  // stopped at process exit. Tests that use it must not stop it.
  static PostgresCluster& shared();

  // A libpq key/value connect string, e.g. "host=/tmp/maintd-pg-Ab12Cd port=12345
  // dbname=maintd_test user=maintd"; pass it with soci::postgresql as the backend.
  std::string soci_connect(const std::string& database = kDatabase) const;
  // The same target in maintd's config format, a libpq URI:
  // "postgresql://maintd@/maintd_test?host=%2Ftmp%2Fmaintd-pg-Ab12Cd&port=12345".
  std::string uri(const std::string& database = kDatabase) const;

  // Creates an empty database (via createdb, so any name works) and returns soci_connect(name).
  std::string create_database(const std::string& name);

  // `pg_ctl -m fast stop`: the data stays; connection attempts fail until start(). No-op when
  // the server is not running.
  void stop();
  // Starts the server again on the same socket and port, so earlier connect strings work again.
  // Returns once it accepts connections. No-op when it is running.
  void start();
  // Whether the postmaster recorded in postmaster.pid is alive.
  bool running() const;

  // For tests of the harness itself and for diagnostics.
  const std::filesystem::path& dir() const { return dir_; }  // socket dir; holds data/ and logs
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path log_file() const { return dir_ / "server.log"; }
  int port() const { return port_; }
  // Whether the server listens on ::1 (Options::tcp_loopback on a machine with IPv6 loopback).
  bool listens_on_ipv6() const { return ipv6_; }
  // The postmaster's pid from postmaster.pid, if the file exists.
  std::optional<pid_t> postmaster_pid() const;

  // Stops the servers and removes the directories of clusters whose test process died without
  // running the destructor (ASan abort, Ctrl-C, _exit). The constructor calls it, so leaks do not
  // pile up across runs. Best effort; never throws.
  static void reap_abandoned() noexcept;

 private:
  struct ServerAccount {  // who runs the server tools when we are root
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
  };
  struct CommandResult {
    std::string command;  // as shown in error messages
    std::string status;   // "exit status 1", "killed by signal 9"
    bool ok = false;
    std::string output;  // stdout and stderr, interleaved
  };

  static std::optional<ServerAccount> server_account();
  void create();
  // Fills data_dir() with a copy of a template made by initdb once (postgres_template.cpp).
  void init_data_dir();
  void write_settings() const;
  void require_passwords() const;
  // Whether the server, started by the last `pg_ctl start` (whose log begins at `log_offset`),
  // could not listen on one of its TCP addresses: the port was taken there.
  bool missed_an_address(std::uintmax_t log_offset) const;
  void give_to_server_account(const std::filesystem::path& path) const;
  CommandResult run(const std::vector<std::string>& argv) const;
  void run_checked(const std::vector<std::string>& argv) const;
  std::string failure_message(const CommandResult& result) const;
  std::vector<std::string> pg_ctl(std::vector<std::string> args) const;
  void teardown() noexcept;

  Options options_;
  bool ipv6_ = false;
  std::filesystem::path bin_dir_;
  std::optional<ServerAccount> account_;
  pid_t owner_pid_ = 0;
  std::filesystem::path dir_;
  int port_ = 0;
};

}  // namespace maintd::testing
