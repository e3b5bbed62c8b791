#pragma once
// Runs the real `maintd` binary (MAINTD_BINARY) to its end, for what only the process shows: what
// it prints on stdout and stderr, and its exit code. Its environment is ours without
// MAINTD_CONFIG and systemd's variables, so only the --config it is given counts.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/files.hpp"

extern char** environ;

namespace maintd::testing {

struct BinaryOutcome {
  int code = -1;  // the exit code; -1 when it did not exit normally
  std::string out;
  std::string err;
};

// `scratch`: a directory for the two output files.
inline BinaryOutcome run_binary(const std::vector<std::string>& args,
                                const std::filesystem::path& scratch) {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> argv_text{MAINTD_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!text.starts_with("MAINTD_CONFIG=") && !text.starts_with("NOTIFY_SOCKET=") &&
        !text.starts_with("JOURNAL_STREAM=")) {
      env_text.emplace_back(text);
    }
  }
  std::vector<char*> envp;
  for (auto& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const std::string out_path = (scratch / "binary-stdout.txt").string();
  const std::string err_path = (scratch / "binary-stderr.txt").string();

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) ::_exit(125);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(MAINTD_BINARY, argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out_path), read_text(err_path)};
}

}  // namespace maintd::testing
