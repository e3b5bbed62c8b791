// The data directory of a new PostgresCluster: a copy of one that initdb made once.
//
// Why: initdb is most of what starting a cluster costs (about a second of CPU, several seconds
// of wall time on a loaded 2-core CI machine), and every test process that touches PostgreSQL
// starts at least one cluster: a few hundred per CI run. Copying a data directory that initdb
// made before is a small fraction of that, and gives the same bytes as a fresh initdb with the
// same binaries and options.
//
// The template lives beside the clusters, /tmp/maintd-pgtmpl-<key>/data, where the key covers
// everything that shapes its contents (the server binaries, initdb's options, the account that
// owns it). It is made in a private directory and renamed into place, so a test process sees
// either no template or a complete one; two processes that race both run initdb and one rename
// wins. Nothing ever writes into it after that. It is not a cluster directory (its name does not
// start with maintd-pg-), so reap_abandoned() leaves it alone.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/postgres_cluster.hpp"

namespace maintd::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTemplatePrefix = "/tmp/maintd-pgtmpl-";

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("PostgresCluster: " + what);
}

// Changes to any of these make a different template (a new minor release replaces initdb, so its
// size and time change too).
std::string template_key(const fs::path& bin_dir, const std::vector<std::string>& options,
                         uid_t owner) {
  std::string identity = bin_dir.string() + '\n' + std::to_string(owner) + '\n';
  for (const auto& option : options) identity += option + '\n';
  struct stat initdb {};
  if (::stat((bin_dir / "initdb").c_str(), &initdb) == 0) {
    identity += std::to_string(initdb.st_size) + ' ' + std::to_string(initdb.st_mtim.tv_sec) + '.' +
                std::to_string(initdb.st_mtim.tv_nsec);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(identity));
  return hex;
}

// Only a template that the expected account owns is used: /tmp is shared, and a directory
// planted there by anybody else must not become our test database.
bool usable(const fs::path& data, uid_t owner) {
  struct stat info {};
  return ::lstat(data.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == owner &&
         fs::exists(data / "PG_VERSION");
}

}  // namespace

void PostgresCluster::init_data_dir() {
  const std::vector<std::string> options = {"-A", "trust", "-U",          kSuperuser,
                                            "-E", "UTF8",  "--no-locale", "--no-sync"};
  const uid_t owner = account_ ? account_->uid : ::geteuid();
  const fs::path final_dir = kTemplatePrefix + template_key(bin_dir_, options, owner);
  const fs::path final_data = final_dir / "data";

  if (usable(final_data, owner)) {
    // As the server account, so the copy belongs to it (cp -a keeps the 0700 mode initdb set).
    run_checked({"/bin/cp", "-a", "--", final_data.string(), data_dir().string()});
    return;
  }

  std::string pattern = final_dir.string() + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  const fs::path building = pattern;
  try {
    give_to_server_account(building);
    std::vector<std::string> initdb = {(bin_dir_ / "initdb").string(), "-D",
                                       (building / "data").string()};
    initdb.insert(initdb.end(), options.begin(), options.end());
    run_checked(initdb);
    if (::rename(building.c_str(), final_dir.c_str()) == 0) {
      run_checked({"/bin/cp", "-a", "--", final_data.string(), data_dir().string()});
      return;
    }
    // Another process published its template first (or something else holds the name): this
    // one's initdb output becomes our data directory instead.
    fs::rename(building / "data", data_dir());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    throw;
  }
  std::error_code ignored;
  fs::remove_all(building, ignored);
}

}  // namespace maintd::testing
