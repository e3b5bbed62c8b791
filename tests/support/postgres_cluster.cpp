#include "support/postgres_cluster.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "support/files.hpp"

namespace maintd::testing {

namespace fs = std::filesystem;

namespace {

// Clusters live directly under /tmp rather than $TMPDIR: the socket path must fit in sun_path
// (107 bytes) and /tmp is short everywhere.
constexpr const char* kParentDir = "/tmp";
constexpr std::string_view kDirPrefix = "maintd-pg-";
// pg_ctl's own bounded wait (-t) for the server to accept connections or to shut down.
constexpr int kServerTimeoutSeconds = 30;
// Any tool still running after this is hung; fail the test rather than stall CI until ctest's
// much longer timeout.
constexpr std::chrono::seconds kToolTimeout{90};
// Sockets live in our private directory, so a port clash is near impossible; a couple of retries
// cover the rest.
constexpr int kStartAttempts = 3;
constexpr std::size_t kTailLines = 40;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("PostgresCluster: " + what);
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t start = text.size();
  // Skip a trailing newline so it does not count as an empty last line.
  if (start > 0 && text[start - 1] == '\n') --start;
  for (std::size_t seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
  }
  std::string result = start > 0 ? "...\n" + text.substr(start) : text;
  if (!result.empty() && result.back() != '\n') result += '\n';
  return result;
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_./=:,%+@") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A value in a libpq key/value connect string: quoted when it is empty or has spaces, quotes or
// backslashes (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING).
std::string conninfo_value(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string::npos) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string percent_encode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    }
  }
  return encoded;
}

// The pid on the first line of a pid file (owner.pid, postmaster.pid).
std::optional<pid_t> read_pid_file(const fs::path& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// kill(pid, 0) alone is not enough: a postmaster is reparented to PID 1 when pg_ctl exits, and in
// containers whose PID 1 does not reap, an exited postmaster stays a zombie forever.
bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const std::string stat = read_text(fs::path("/proc") / std::to_string(pid) / "stat");
  // Format: "pid (comm) state ...", and comm may itself contain ") ".
  const auto close = stat.rfind(") ");
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

// Guards against signalling an unrelated process that reused a stale postmaster pid.
bool is_postgres(pid_t pid) {
  std::string comm = read_text(fs::path("/proc") / std::to_string(pid) / "comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm == "postgres" || comm == "postmaster";
}

// Waits, up to `limit`, for `pid` to be gone; true when it is.
bool wait_gone(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Immediate shutdown without pg_ctl (SIGQUIT is what `pg_ctl -m immediate stop` sends), for
// when pg_ctl failed or the cluster was abandoned. A postmaster that has not exited 10 s later
// (a loaded machine) is killed: the caller removes its directory next, and a server still
// writing into it made that removal fail and leave the directory behind.
void quit_postmaster(const fs::path& data_dir) noexcept {
  const auto pid = read_pid_file(data_dir / "postmaster.pid");
  if (!pid || !process_alive(*pid) || !is_postgres(*pid)) return;
  ::kill(*pid, SIGQUIT);
  if (wait_gone(*pid, std::chrono::seconds(10))) return;
  ::kill(*pid, SIGKILL);
  wait_gone(*pid, std::chrono::seconds(10));
}

// Whether ::1 can be bound here (containers and hosts may run without IPv6).
bool has_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = 0;
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

fs::path find_bin_dir() {
  if (const char* env = std::getenv("MAINTD_TEST_PG_BIN"); env != nullptr && *env != '\0') {
    // Absolute, because the tools run with the cluster directory as working directory.
    const fs::path bin = fs::absolute(env);
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl")) {
      fail("MAINTD_TEST_PG_BIN=" + bin.string() + " has no initdb and pg_ctl");
    }
    return bin;
  }
  const fs::path root = "/usr/lib/postgresql";
  if (fs::exists(root / "15" / "bin" / "initdb")) return root / "15" / "bin";
  // Otherwise the newest installed major version ("16" > "9.6"), compared numerically.
  std::optional<std::pair<std::vector<int>, fs::path>> best;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path bin = it->path() / "bin";
    if (!fs::exists(bin / "initdb")) continue;
    std::vector<int> version;
    std::istringstream parts(it->path().filename().string());
    for (std::string part; std::getline(parts, part, '.');) {
      version.push_back(std::atoi(part.c_str()));
    }
    if (!best || version > best->first) best.emplace(version, bin);
  }
  if (!best) {
    fail(
        "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; install postgresql-15 "
        "(scripts/install-deps.sh) or set MAINTD_TEST_PG_BIN to the directory holding initdb");
  }
  return best->second;
}

// The environment of the tools: ours, minus anything that would redirect or reconfigure libpq
// (PGHOST, PGDATABASE, PGOPTIONS, ...) or make initdb depend on the locales installed.
std::vector<std::string> tool_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view var(*entry);
    if (var.starts_with("PG") || var.starts_with("LC_") || var.starts_with("LANG=") ||
        var.starts_with("LANGUAGE=")) {
      continue;
    }
    env.emplace_back(var);
  }
  env.emplace_back("LC_ALL=C");
  env.emplace_back("PGCONNECT_TIMEOUT=10");  // createdb against a wedged server fails, not hangs
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// An owned file descriptor, never 0-2 (so dup2 onto 0-2 in the child always clears CLOEXEC).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ >= 0 && fd_ < 3) {
      const int moved = ::fcntl(fd_, F_DUPFD_CLOEXEC, 3);
      ::close(fd_);
      fd_ = moved;
    }
  }
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// What the child reports through the CLOEXEC pipe when it cannot get as far as exec.
struct ChildFailure {
  int step;
  int error;
};
constexpr const char* kChildSteps[] = {"redirect output of", "change directory for",
                                       "set groups for",     "set group id for",
                                       "set user id for",    "execute"};

[[noreturn]] void child_failed(int report_fd, int step) noexcept {
  const ChildFailure failure{step, errno};
  // If even this write fails, the parent still sees exit status 127.
  if (::write(report_fd, &failure, sizeof failure) < 0) ::_exit(127);
  ::_exit(127);
}

// Waits for the child, bounded by kToolTimeout; a pidfd makes the wait sleep-free.
int wait_for_child(pid_t pid, const std::string& shown) {
  int status = 0;
#ifdef SYS_pidfd_open
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + kToolTimeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fds{pidfd, POLLIN, 0};
      const int ready = ::poll(&fds, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
      if (ready > 0) break;
      if (ready == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ::close(pidfd);
        fail("`" + shown + "` did not finish within " + std::to_string(kToolTimeout.count()) +
             " s and was killed");
      }
      if (errno != EINTR) break;  // fall back to the blocking wait below
    }
    ::close(pidfd);
  }
#endif
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid for `" + shown + "`: " + std::strerror(errno));
  }
  return status;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

}  // namespace

PostgresCluster::PostgresCluster() : PostgresCluster(Options{}) {}

PostgresCluster::PostgresCluster(Options options)
    : options_(std::move(options)),
      ipv6_(options_.tcp_loopback && has_ipv6_loopback()),
      bin_dir_(find_bin_dir()),
      account_(server_account()),
      owner_pid_(::getpid()) {
  reap_abandoned();
  std::string pattern = (fs::path(kParentDir) / (std::string(kDirPrefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  dir_ = pattern;
  // The constructor must clean up itself: the destructor does not run when it throws.
  try {
    create();
  } catch (...) {
    teardown();
    throw;
  }
}

PostgresCluster::~PostgresCluster() {
  if (::getpid() == owner_pid_) teardown();
}

PostgresCluster& PostgresCluster::shared() {
  // Function-local static: created on first use (thread-safely), destroyed at exit. If creation
  // throws, the next call tries again.
  static PostgresCluster cluster;
  return cluster;
}

namespace {

// Stops the server of an abandoned cluster directory and removes the directory. Every test
// process reaps when it creates its cluster, so several may come to the same directory at once;
// two removals at once each met files the other had just removed, gave up, and left the
// directory behind. So one reaps at a time, under a lock on the directory itself, and the others
// wait for it (bounded: quit_postmaster is) and find the directory gone. A reaper that crashes
// drops its lock with its process.
void reap(const fs::path& dir) noexcept {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // reaped meanwhile
  if (::flock(fd, LOCK_EX) == 0 && fs::exists(dir / "owner.pid")) {
    quit_postmaster(dir / "data");
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  ::close(fd);
}

}  // namespace

// Each cluster directory holds owner.pid, the pid of the test process that created it; a dead
// owner means the directory and its server are abandoned. Other users' clusters are unreadable
// and skipped.
void PostgresCluster::reap_abandoned() noexcept {
  try {
    std::error_code ec;
    for (fs::directory_iterator it(kParentDir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      const fs::path dir = it->path();
      if (!dir.filename().string().starts_with(kDirPrefix)) continue;
      const auto owner = read_pid_file(dir / "owner.pid");
      // No owner.pid: a cluster being created right now (or an empty leftover); leave it.
      if (!owner || process_alive(*owner)) continue;
      reap(dir);
    }
  } catch (...) {
  }
}

std::optional<PostgresCluster::ServerAccount> PostgresCluster::server_account() {
  if (::geteuid() != 0) return std::nullopt;
  // PostgreSQL refuses to run as root; the postgresql-15 package creates this user.
  constexpr const char* kUser = "postgres";
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  const int error = ::getpwnam_r(kUser, &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr) {
    fail(std::string("running as root, but there is no `") + kUser + "` system user to run " +
         "the server as (PostgreSQL refuses to run as root" +
         (error != 0 ? std::string(", getpwnam: ") + std::strerror(error) : std::string()) +
         "); install postgresql-15 (scripts/install-deps.sh) or run the tests as a normal user");
  }
  ServerAccount account{kUser, entry.pw_uid, entry.pw_gid, {}};
  int count = 16;
  for (;;) {
    account.groups.resize(static_cast<std::size_t>(count));
    const int previous = count;
    if (::getgrouplist(kUser, account.gid, account.groups.data(), &count) >= 0) break;
    if (count <= previous) count = previous * 2;  // some libcs do not report the size needed
  }
  account.groups.resize(static_cast<std::size_t>(count));
  return account;
}

void PostgresCluster::create() {
  {
    std::ofstream owner(dir_ / "owner.pid");
    owner << owner_pid_ << '\n';
  }
  give_to_server_account(dir_);

  init_data_dir();
  require_passwords();
  // Our settings go in a file of their own, included from postgresql.conf, rather than through
  // `pg_ctl -o`, whose options pass through /bin/sh. They also survive stop() and start().
  std::ofstream(data_dir() / "postgresql.conf", std::ios::app)
      << "\n# Added by the maintd test harness\ninclude 'maintd_test.conf'\n";

  const std::size_t seed =
      std::hash<std::string>{}(dir_.string()) ^ static_cast<std::size_t>(owner_pid_);
  for (int attempt = 0;; ++attempt) {
    // 10000-29999: below Linux's ephemeral range, and different for each process and directory.
    port_ = 10000 + static_cast<int>((seed + static_cast<std::size_t>(attempt) * 7919) % 20000);
    write_settings();
    std::error_code no_log_yet;
    const std::uintmax_t log_offset = fs::file_size(log_file(), no_log_yet);
    const CommandResult result = run(pg_ctl(
        {"-l", log_file().string(), "-w", "-t", std::to_string(kServerTimeoutSeconds), "start"}));
    if (result.ok && !missed_an_address(no_log_yet ? 0 : log_offset)) break;
    if (result.ok) {  // up, but another process holds the port on one address: try another
      run_checked(
          pg_ctl({"-m", "immediate", "-w", "-t", std::to_string(kServerTimeoutSeconds), "stop"}));
      if (attempt + 1 == kStartAttempts) {
        fail("the server could not listen on every TCP address after " +
             std::to_string(kStartAttempts) + " ports\n--- server log ---\n" +
             tail(read_text(log_file()), kTailLines));
      }
      continue;
    }
    const std::string log = read_text(log_file());
    const bool clash = log.find("already in use") != std::string::npos ||
                       log.find("already exists") != std::string::npos;
    if (!clash || attempt + 1 == kStartAttempts) fail(failure_message(result));
  }
  run_checked({(bin_dir_ / "createdb").string(), "-h", dir_.string(), "-p", std::to_string(port_),
               "-U", kSuperuser, "--", kDatabase});
}

void PostgresCluster::write_settings() const {
  std::string quoted_dir;  // a postgresql.conf string literal: quotes doubled
  for (char c : dir_.string()) quoted_dir += c == '\'' ? std::string("''") : std::string(1, c);
  const fs::path path = data_dir() / "maintd_test.conf";
  {
    // No TCP at all (nothing to clash with, nothing exposed); fsync and friends off because
    // durability of throwaway data only costs time; UTC so results do not depend on the machine's
    // zone (sessions can still SET TIME ZONE).
    std::ofstream conf(path, std::ios::trunc);
    // TCP only when asked for, and then only on loopback.
    const std::string listen = options_.tcp_loopback ? (ipv6_ ? "127.0.0.1,::1" : "127.0.0.1") : "";
    conf << "listen_addresses = '" << listen << "'\n"
         << "unix_socket_directories = '" << quoted_dir << "'\n"
         << "port = " << port_ << "\n"
         << "fsync = off\n"
         << "synchronous_commit = off\n"
         << "full_page_writes = off\n"
         << "timezone = 'UTC'\n"
         << "log_timezone = 'UTC'\n";
    if (!conf) fail("could not write " + path.string());
  }
  give_to_server_account(path);
}

// pg_hba.conf takes the first line that matches, so these go before initdb's trust lines.
void PostgresCluster::require_passwords() const {
  if (options_.password_roles.empty()) return;
  const fs::path path = data_dir() / "pg_hba.conf";
  std::string lines = "# Added by the maintd test harness: these roles must give a password\n";
  for (const auto& role : options_.password_roles) {
    lines += "local all " + role + " scram-sha-256\n";
    lines += "host all " + role + " 127.0.0.1/32 scram-sha-256\n";
    lines += "host all " + role + " ::1/128 scram-sha-256\n";
  }
  const std::string rest = read_text(path);
  {
    std::ofstream hba(path, std::ios::trunc);  // the same file: its owner and mode stay
    hba << lines << rest;
    if (!hba) fail("could not write " + path.string());
  }
  give_to_server_account(path);
}

bool PostgresCluster::missed_an_address(std::uintmax_t log_offset) const {
  if (!options_.tcp_loopback) return false;
  const std::string log = read_text(log_file());
  return log.find("could not create listen socket",
                  std::min<std::size_t>(log.size(), static_cast<std::size_t>(log_offset))) !=
         std::string::npos;
}

void PostgresCluster::give_to_server_account(const fs::path& path) const {
  if (!account_) return;
  if (::chown(path.c_str(), account_->uid, account_->gid) != 0) {
    fail("chown " + path.string() + " to " + account_->name + ": " + std::strerror(errno));
  }
}

std::vector<std::string> PostgresCluster::pg_ctl(std::vector<std::string> args) const {
  args.insert(args.begin(), {(bin_dir_ / "pg_ctl").string(), "-D", data_dir().string()});
  return args;
}

std::string PostgresCluster::soci_connect(const std::string& database) const {
  return "host=" + conninfo_value(dir_.string()) + " port=" + std::to_string(port_) +
         " dbname=" + conninfo_value(database) + " user=" + kSuperuser;
}

std::string PostgresCluster::uri(const std::string& database) const {
  return std::string("postgresql://") + kSuperuser + "@/" + percent_encode(database) +
         "?host=" + percent_encode(dir_.string()) + "&port=" + std::to_string(port_);
}

std::string PostgresCluster::create_database(const std::string& name) {
  if (name.empty()) fail("create_database: empty name");
  run_checked({(bin_dir_ / "createdb").string(), "-h", dir_.string(), "-p", std::to_string(port_),
               "-U", kSuperuser, "--", name});
  return soci_connect(name);
}

void PostgresCluster::stop() {
  if (!running()) return;
  run_checked(pg_ctl({"-m", "fast", "-w", "-t", std::to_string(kServerTimeoutSeconds), "stop"}));
}

void PostgresCluster::start() {
  if (running()) return;
  run_checked(pg_ctl(
      {"-l", log_file().string(), "-w", "-t", std::to_string(kServerTimeoutSeconds), "start"}));
}

std::optional<pid_t> PostgresCluster::postmaster_pid() const {
  return read_pid_file(data_dir() / "postmaster.pid");
}

bool PostgresCluster::running() const {
  const auto pid = postmaster_pid();
  return pid && process_alive(*pid);
}

void PostgresCluster::teardown() noexcept {
  try {
    if (running()) {
      run(pg_ctl({"-m", "immediate", "-w", "-t", std::to_string(kServerTimeoutSeconds), "stop"}));
    }
  } catch (...) {
  }
  quit_postmaster(data_dir());  // in case pg_ctl could not stop it
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void PostgresCluster::run_checked(const std::vector<std::string>& argv) const {
  const CommandResult result = run(argv);
  if (!result.ok) fail(failure_message(result));
}

std::string PostgresCluster::failure_message(const CommandResult& result) const {
  std::string message = "`" + result.command + "` failed with " + result.status + " (cluster " +
                        dir_.string() + ")\n--- command output ---\n" +
                        tail(result.output, kTailLines);
  if (fs::exists(log_file())) {
    message += "--- server log " + log_file().string() + " ---\n" +
               tail(read_text(log_file()), kTailLines);
  }
  return message;
}

PostgresCluster::CommandResult PostgresCluster::run(const std::vector<std::string>& argv) const {
  CommandResult result;
  for (const auto& word : argv) {
    result.command += (result.command.empty() ? "" : " ") + shell_quote(word);
  }
  if (account_) result.command = "(as " + account_->name + ") " + result.command;

  // Everything the child needs is prepared here: between fork and exec it may only make
  // async-signal-safe calls (no allocation), since other threads may hold allocator locks.
  std::vector<std::string> args = argv;
  std::vector<std::string> env = tool_environment();
  const std::vector<char*> arg_pointers = c_strings(args);
  const std::vector<char*> env_pointers = c_strings(env);
  const std::string cwd = dir_.string();
  const fs::path output_path = dir_ / "command.log";
  const Fd output(::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  const Fd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (output.get() < 0 || null_input.get() < 0) {
    fail("open " + output_path.string() + " or /dev/null: " + std::strerror(errno));
  }
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) fail(std::string("pipe2: ") + std::strerror(errno));
  Fd report_read(report_pipe[0]);
  Fd report_write(report_pipe[1]);
  const ServerAccount* account = account_ ? &*account_ : nullptr;

  const pid_t pid = ::fork();
  if (pid < 0) fail("fork for `" + result.command + "`: " + std::strerror(errno));
  if (pid == 0) {
    const int report = report_write.get();
    if (::dup2(null_input.get(), STDIN_FILENO) < 0 || ::dup2(output.get(), STDOUT_FILENO) < 0 ||
        ::dup2(output.get(), STDERR_FILENO) < 0) {
      child_failed(report, 0);
    }
    if (::chdir(cwd.c_str()) != 0) child_failed(report, 1);
    if (account != nullptr) {
      // Groups first: after setuid we no longer may change them.
      if (::setgroups(account->groups.size(), account->groups.data()) != 0) {
        child_failed(report, 2);
      }
      if (::setgid(account->gid) != 0) child_failed(report, 3);
      if (::setuid(account->uid) != 0) child_failed(report, 4);
    }
    // The postmaster outlives this process: it must not inherit our descriptors (a ctest output
    // pipe held open would stall ctest) or a blocked signal mask.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
#ifdef CLOSE_RANGE_CLOEXEC
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // best effort: needs Linux 5.11
#endif
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    child_failed(report, 5);
  }

  report_write.reset();
  ChildFailure failure{};
  ssize_t got = 0;
  // EOF (0 bytes) once the child execs, since the pipe is close-on-exec.
  do {
    got = ::read(report_read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  const int status = wait_for_child(pid, result.command);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    fail(std::string("could not ") + kChildSteps[failure.step] + " `" + result.command +
         "`: " + std::strerror(failure.error));
  }
  result.status = describe_status(status);
  result.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  result.output = read_text(output_path);
  return result;
}

}  // namespace maintd::testing
