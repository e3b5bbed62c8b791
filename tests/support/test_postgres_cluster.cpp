// The PostgreSQL harness against a real server: connections through SOCI's postgresql backend,
// stop/start, isolation between databases and clusters, and that nothing is left behind.
#include <doctest/doctest.h>
#include <pwd.h>
#include <signal.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "support/files.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using maintd::testing::PostgresCluster;
using maintd::testing::read_text;
using maintd::testing::TempDir;

namespace {

// Gone means no such process, or a zombie: a postmaster is reparented to PID 1 when pg_ctl exits,
// and where PID 1 does not reap (many containers) its corpse stays visible to kill(pid, 0).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = read_text(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto close = stat.rfind(") ");
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

uid_t process_uid(pid_t pid) {
  std::istringstream status(read_text(fs::path("/proc") / std::to_string(pid) / "status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Uid:")) return static_cast<uid_t>(std::stoul(line.substr(4)));
  }
  FAIL("no Uid line for pid " << pid);
  return 0;
}

uid_t file_owner(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_uid;
}

std::string query_string(soci::session& sql, const std::string& query) {
  std::string value;
  sql << query, soci::into(value);
  return value;
}

int query_int(soci::session& sql, const std::string& query) {
  int value = -1;
  sql << query, soci::into(value);
  return value;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The cluster directory named in an error message: "(cluster /tmp/maintd-pg-XXXXXX)".
std::string cluster_dir_in(const std::string& message) {
  const auto start = message.find("(cluster ");
  if (start == std::string::npos) return {};
  const auto end = message.find(')', start);
  return message.substr(start + 9, end - start - 9);
}

}  // namespace

TEST_CASE("the shared cluster serves SOCI: select 1, create a table, insert and read a row") {
  PostgresCluster& cluster = PostgresCluster::shared();
  CHECK(&cluster == &PostgresCluster::shared());
  CHECK(cluster.running());

  soci::session sql(soci::postgresql, cluster.soci_connect());
  CHECK(query_int(sql, "select 1") == 1);
  CHECK(query_string(sql, "select current_user") == "maintd");
  CHECK(query_string(sql, "select current_database()") == "maintd_test");
  CHECK(query_string(sql, "show server_encoding") == "UTF8");
  CHECK(query_string(sql, "show fsync") == "off");
  CHECK(query_string(sql, "show TimeZone") == "UTC");
  CHECK(query_string(sql, "show listen_addresses").empty());  // unix socket only

  sql << "create table roundtrip (id integer primary key, name text not null)";
  int id = 7;
  std::string name = "seven \u00e9";  // UTF-8 survives the round trip
  sql << "insert into roundtrip (id, name) values (:id, :name)", soci::use(id), soci::use(name);
  std::string back;
  sql << "select name from roundtrip where id = 7", soci::into(back);
  CHECK(back == name);
}

TEST_CASE("the uri() form connects through SOCI's postgresql backend too") {
  PostgresCluster& cluster = PostgresCluster::shared();
  const std::string uri = cluster.uri();
  CHECK(uri.starts_with("postgresql://maintd@/maintd_test?host=%2Ftmp%2Fmaintd-pg-"));
  CHECK(uri.ends_with("&port=" + std::to_string(cluster.port())));

  soci::session sql(soci::postgresql, uri);
  CHECK(query_int(sql, "select 1") == 1);
  CHECK(query_string(sql, "select current_database()") == "maintd_test");

  cluster.create_database("uri target");  // a name that needs quoting and percent-encoding
  CHECK(cluster.uri("uri target").starts_with("postgresql://maintd@/uri%20target?"));
  soci::session other(soci::postgresql, cluster.uri("uri target"));
  CHECK(query_string(other, "select current_database()") == "uri target");
  soci::session keyword_form(soci::postgresql, cluster.soci_connect("uri target"));
  CHECK(query_string(keyword_form, "select current_database()") == "uri target");
}

TEST_CASE("create_database gives an isolated database, and a duplicate name is an error") {
  PostgresCluster& cluster = PostgresCluster::shared();
  soci::session a(soci::postgresql, cluster.create_database("isolated_a"));
  soci::session b(soci::postgresql, cluster.create_database("isolated_b"));
  CHECK(query_string(a, "select current_database()") == "isolated_a");

  a << "create table only_in_a (x integer)";
  a << "insert into only_in_a values (1)";
  CHECK(query_int(a, "select (to_regclass('only_in_a') is null)::int") == 0);
  CHECK(query_int(b, "select (to_regclass('only_in_a') is null)::int") == 1);
  b << "create table only_in_a (y text)";  // same name, no conflict
  CHECK(query_int(a, "select count(*)::int from only_in_a") == 1);

  try {
    cluster.create_database("isolated_a");
    FAIL("a second create_database(\"isolated_a\") should throw");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("createdb") != std::string::npos);
    CHECK(message.find("exit status 1") != std::string::npos);
    CHECK(message.find("already exists") != std::string::npos);
  }
}

TEST_CASE("stop() refuses connections and start() restores them, data included") {
  PostgresCluster cluster;  // not the shared one: other tests must never see it stopped
  const std::string connect = cluster.soci_connect();
  soci::session before(soci::postgresql, connect);
  before << "create table survivors (id integer)";
  before << "insert into survivors values (42)";

  cluster.stop();
  CHECK_FALSE(cluster.running());
  cluster.stop();  // no-op when stopped
  try {
    soci::session refused(soci::postgresql, connect);
    FAIL("connecting to a stopped cluster should fail");
  } catch (const soci::soci_error& e) {
    // libpq names the socket it tried, which is in the cluster's directory.
    CHECK(std::string(e.what()).find(cluster.dir().string()) != std::string::npos);
  }
  // A session opened before the stop is dead too, as the daemon's will be.
  CHECK_THROWS_AS(query_int(before, "select 1"), soci::soci_error);

  cluster.start();
  CHECK(cluster.running());
  cluster.start();  // no-op when running
  soci::session after(soci::postgresql, connect);
  CHECK(query_int(after, "select id from survivors") == 42);
}

TEST_CASE("two clusters at once do not clash") {
  PostgresCluster first;
  PostgresCluster second;
  CHECK(first.dir() != second.dir());
  REQUIRE(first.postmaster_pid());
  REQUIRE(second.postmaster_pid());
  CHECK(*first.postmaster_pid() != *second.postmaster_pid());

  soci::session a(soci::postgresql, first.soci_connect());
  soci::session b(soci::postgresql, second.soci_connect());
  a << "create table mine (x integer)";
  CHECK(query_int(b, "select (to_regclass('mine') is null)::int") == 1);
  b << "create table mine (y text)";
  CHECK(query_string(a,
                     "select data_type::text from information_schema.columns "
                     "where table_name = 'mine'") == "integer");
  CHECK(query_string(b,
                     "select data_type::text from information_schema.columns "
                     "where table_name = 'mine'") == "text");
}

TEST_CASE("the destructor leaves no server process and no directory behind") {
  pid_t postmaster = 0;
  fs::path dir;
  {
    PostgresCluster cluster;
    REQUIRE(cluster.postmaster_pid());
    postmaster = *cluster.postmaster_pid();
    dir = cluster.dir();
    soci::session sql(soci::postgresql, cluster.soci_connect());  // outlives nothing: closed first
    CHECK(query_int(sql, "select 1") == 1);
    CHECK_FALSE(process_gone(postmaster));
    CHECK(fs::exists(dir / "data" / "PG_VERSION"));
  }
  CHECK(process_gone(postmaster));
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("the server runs as the postgres user under root, else as the current user") {
  PostgresCluster& cluster = PostgresCluster::shared();
  REQUIRE(cluster.postmaster_pid());
  uid_t expected = ::geteuid();
  if (expected == 0) {
    const passwd* postgres = ::getpwnam("postgres");
    REQUIRE(postgres != nullptr);
    expected = postgres->pw_uid;
  }
  CHECK(process_uid(*cluster.postmaster_pid()) == expected);
  CHECK(file_owner(cluster.data_dir()) == expected);
  CHECK(file_owner(cluster.dir()) == expected);
}

TEST_CASE("a failing tool is reported with its command, exit status and output") {
  TempDir fake_bin;
  // Readable by the postgres user too, since that is who runs the tools under root.
  fs::permissions(fake_bin.path(), fs::perms::owner_all | fs::perms::group_read |
                                       fs::perms::group_exec | fs::perms::others_read |
                                       fs::perms::others_exec);
  for (const char* tool : {"initdb", "pg_ctl"}) {
    const fs::path script = fake_bin.write(
        tool, std::string("#!/bin/sh\necho \"fake ") + tool + " refuses: $*\" >&2\nexit 3\n");
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  }
  const ScopedEnv env("MAINTD_TEST_PG_BIN", fake_bin.path().string());
  try {
    PostgresCluster cluster;
    FAIL("a cluster with a failing initdb should not construct");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find((fake_bin.path() / "initdb").string() + " -D") != std::string::npos);
    CHECK(message.find("exit status 3") != std::string::npos);
    CHECK(message.find("fake initdb refuses: -D") != std::string::npos);
    const std::string dir = cluster_dir_in(message);
    CHECK(dir.starts_with("/tmp/maintd-pg-"));
    CHECK_FALSE(fs::exists(dir));  // the failed constructor cleaned up after itself
  }
}

TEST_CASE("a server that cannot start is reported with the tail of the server log") {
  PostgresCluster cluster;
  cluster.stop();
  std::ofstream(cluster.data_dir() / "postgresql.conf", std::ios::app)
      << "maintd_no_such_setting = 1\n";
  try {
    cluster.start();
    FAIL("start() with a broken postgresql.conf should throw");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("pg_ctl") != std::string::npos);
    CHECK(message.find("exit status 1") != std::string::npos);
    CHECK(message.find("--- server log") != std::string::npos);
    CHECK(message.find("unrecognized configuration parameter \"maintd_no_such_setting\"") !=
          std::string::npos);
  }
  CHECK_FALSE(cluster.running());
}

// A cluster left behind by a test process that crashed: its directory and its postmaster's pid.
struct Abandoned {
  std::string dir;
  pid_t postmaster = 0;
};

Abandoned abandon_a_cluster() {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Crash-like exit: _exit skips every destructor, so the server and directory stay behind.
    ::close(pipe_fds[0]);
    int code = 1;
    try {
      const auto* leaked = new PostgresCluster;  // never deleted, like a crash
      const std::string line =
          leaked->dir().string() + " " + std::to_string(*leaked->postmaster_pid());
      if (::write(pipe_fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
        code = 0;
      }
    } catch (...) {
    }
    ::_exit(code);
  }
  ::close(pipe_fds[1]);
  std::string line;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) line.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  Abandoned abandoned;
  std::istringstream fields(line);
  fields >> abandoned.dir >> abandoned.postmaster;
  REQUIRE(abandoned.dir.starts_with("/tmp/maintd-pg-"));
  return abandoned;
}

TEST_CASE("a cluster abandoned by a crashed test process is reaped") {
  const Abandoned abandoned = abandon_a_cluster();
  const std::string abandoned_dir = abandoned.dir;
  const pid_t abandoned_postmaster = abandoned.postmaster;
  // (A test process running in parallel may reap it first: this call then waits for it.)
  PostgresCluster::reap_abandoned();  // what every constructor does first
  CHECK(process_gone(abandoned_postmaster));
  CHECK_FALSE(fs::exists(abandoned_dir));
}

// Regression (issue 17's repeated runs, run 5 of 20): every test process reaps when it creates
// its cluster. Another test process was still removing the abandoned directory when this test's
// own reap_abandoned() met the files it was removing, gave up and returned, and the directory was
// still there. Reapers now take turns on a directory, and a late one finds it gone.
TEST_CASE("two reapers at once leave nothing of an abandoned cluster behind") {
  const Abandoned abandoned = abandon_a_cluster();
  std::latch start(2);
  std::vector<std::thread> reapers;
  for (int i = 0; i < 2; ++i) {
    reapers.emplace_back([&start] {
      start.arrive_and_wait();
      PostgresCluster::reap_abandoned();
    });
  }
  for (auto& reaper : reapers) reaper.join();
  CHECK(process_gone(abandoned.postmaster));
  CHECK_FALSE(fs::exists(abandoned.dir));
}
