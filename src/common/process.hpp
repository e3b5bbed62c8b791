#pragma once
// The primitives of child processes, as maintd starts them: file descriptors that close
// themselves, close-on-exec pipes, and a child in its own process group that is never left
// behind. process::run_child (child_run.hpp) builds on them; callers run children through it.
#include <sys/types.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "common/expected.hpp"

namespace maintd::process {

// A file descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// {read end, write end}, both close-on-exec: a command another thread starts at the same time
// must not inherit them (it would hold the pipe open, and the reader would wait for its EOF).
// The error is an errno value.
Expected<std::array<Fd, 2>, int> make_pipe();

// Whatever happens to its owner, the child is not left behind: unless it was reaped already,
// its group is killed and the child reaped (no zombie).
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }

  // Whether the child has exited, without reaping it: while it is an unreaped zombie its pid,
  // and so its process group id, cannot be reused, so signalling the group stays safe.
  bool exited() const;

  // Signals every process of the child's group (it leads its own): the whole tree it started.
  void signal_group(int signal) const;

  // Waits for the child and returns its wait status.
  int reap();

 private:
  pid_t pid_;
  bool reaped_ = false;
};

struct SpawnRequest {
  std::string program;                   // the file executed
  std::vector<std::string> argv;         // argv[0] included
  std::vector<std::string> environment;  // NAME=value: the whole environment
  std::string working_directory;         // empty: this process's
  // The child's standard streams; -1: /dev/null.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Starts the program in a process group of its own (so that a stop reaches everything it
// starts), with no blocked signals and default dispositions whatever the calling thread had (an
// ignored SIGPIPE or SIGTERM would otherwise be inherited through exec). The error is an errno
// value (the program does not exist, is not executable, ...).
Expected<pid_t, int> spawn(const SpawnRequest& request);

// A pollable handle on the child's exit (pidfd, Linux 5.3+): readable once it exited. Empty
// where the kernel has none; poll with a timeout then.
Fd exit_handle(pid_t pid);

// This process's environment as NAME=value entries.
std::vector<std::string> current_environment();

}  // namespace maintd::process
