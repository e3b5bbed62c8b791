#pragma once
// A PostgreSQL server that stops answering, as a hung host or a network partition leaves it:
// every process of the cluster (the postmaster and its backends, auxiliary processes included)
// is stopped with SIGSTOP. Its sockets stay open and the kernel still accepts connections on
// them, so nothing fails: every wait on the server just never ends, which is what maintd must
// bound (issue 24, item 3).
//
// RAII: the destructor sends SIGCONT to every process it stopped, also when the test fails
// (REQUIRE throws), so the cluster's own teardown can stop the server. Declare it after the
// PostgresCluster it freezes, so it is destroyed first.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "support/postgres_cluster.hpp"

namespace maintd::testing {

class PostgresFreeze {
 public:
  explicit PostgresFreeze(const PostgresCluster& cluster) {
    const auto postmaster = cluster.postmaster_pid();
    if (!postmaster) throw std::runtime_error("PostgresFreeze: the cluster is not running");
    // The postmaster first, so that it forks nothing new; then its children, found again until
    // no new one appears (one may have been forking when the postmaster stopped).
    stop(*postmaster);
    for (bool found = true; found;) {
      found = false;
      for (const pid_t child : children_of(*postmaster)) {
        if (stopped_.count(child) == 0) {
          stop(child);
          found = true;
        }
      }
    }
  }
  ~PostgresFreeze() {
    for (const pid_t pid : stopped_) ::kill(pid, SIGCONT);
  }
  PostgresFreeze(const PostgresFreeze&) = delete;
  PostgresFreeze& operator=(const PostgresFreeze&) = delete;

  std::size_t processes() const { return stopped_.size(); }

 private:
  void stop(pid_t pid) {
    if (::kill(pid, SIGSTOP) == 0) stopped_.insert(pid);
  }

  // The processes whose parent is `parent` (from /proc/PID/stat: "pid (comm) state ppid ...").
  static std::set<pid_t> children_of(pid_t parent) {
    std::set<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
      std::ifstream in(entry.path() / "stat");
      std::string stat;
      std::getline(in, stat);
      const auto close = stat.rfind(") ");
      if (close == std::string::npos) continue;
      char state = 0;
      long ppid = 0;
      std::istringstream fields(stat.substr(close + 2));
      if (fields >> state >> ppid && ppid == parent) out.insert(std::stoi(name));
    }
    return out;
  }

  std::set<pid_t> stopped_;
};

}  // namespace maintd::testing
