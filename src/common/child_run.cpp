// Running a child process to its end: see child_run.hpp.
#include "common/child_run.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/output_lines.hpp"
#include "common/process.hpp"

namespace maintd::process {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest single wait for a child that is watched by its pidfd alone (a wait is cut short by
// its exit, its output, or the next deadline anyway).
constexpr milliseconds kLongestWait{60'000};

// Holds SIGPIPE off this thread while it writes to a child's stdin: a child that exits without
// reading makes the write fail with EPIPE instead of ending maintd. A SIGPIPE raised meanwhile
// stays pending on the thread; it is taken before the mask is restored, so it is never delivered.
class SigpipeHeld {
 public:
  SigpipeHeld() {
    sigemptyset(&pipe_only_);
    sigaddset(&pipe_only_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only_, &previous_);
  }
  ~SigpipeHeld() {
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_only_, nullptr, &zero) == SIGPIPE) {
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeHeld(const SigpipeHeld&) = delete;
  SigpipeHeld& operator=(const SigpipeHeld&) = delete;

 private:
  sigset_t pipe_only_{};
  sigset_t previous_{};
};

}  // namespace

bool ChildExit::succeeded() const {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string ChildExit::outcome() const {
  if (WIFEXITED(wait_status)) return fmt::format("exited with status {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(wait_status),
                       signal_name(WTERMSIG(wait_status)));
  }
  return "ended";
}

std::string ChildFailure::message(const std::string& program) const {
  if (step == "spawn") return fmt::format("cannot run '{}': {}", program, std::strerror(error));
  return fmt::format("{}: {}", step, std::strerror(error));
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signal);
}

Expected<ChildExit, ChildFailure> run_child(const ChildSpec& spec) {
  std::optional<SigpipeHeld> sigpipe_held;
  if (spec.input) sigpipe_held.emplace();

  // Each pipe is {read end, write end}; a stream the caller does not want has none.
  std::array<Fd, 2> in, out, err;
  const auto open_pipe = [](std::array<Fd, 2>& pipe) -> std::optional<int> {
    auto fds = make_pipe();
    if (!fds) return fds.error();
    pipe = std::move(fds).value();
    return std::nullopt;
  };
  for (const auto& [wanted, pipe] :
       {std::pair{spec.input.has_value(), &in}, std::pair{static_cast<bool>(spec.on_stdout), &out},
        std::pair{static_cast<bool>(spec.on_stderr), &err}}) {
    if (!wanted) continue;
    if (const auto error = open_pipe(*pipe)) return Unexpected{ChildFailure{"pipe", *error}};
  }

  SpawnRequest request;
  request.program = spec.program;
  request.argv = spec.argv;
  request.environment = spec.environment;
  request.working_directory = spec.working_directory;
  request.stdin_fd = in[0].get();
  request.stdout_fd = out[1].get();
  request.stderr_fd = err[1].get();
  const auto started = Steady::now();
  const auto pid = spawn(request);
  if (!pid) return Unexpected{ChildFailure{"spawn", pid.error()}};
  Child child(*pid);
  // Only the child holds these ends now: EOF on ours means every writer is gone.
  in[0].reset();
  out[1].reset();
  err[1].reset();
  if (spec.on_started) spec.on_started(child.pid());

  Fd& stdin_fd = in[1];
  // Written as the pipe takes it: a child that reads slowly (or not at all) never blocks us.
  if (stdin_fd) ::fcntl(stdin_fd.get(), F_SETFL, ::fcntl(stdin_fd.get(), F_GETFL) | O_NONBLOCK);
  const std::array<Fd*, 2> streams = {&out[0], &err[0]};
  std::array<std::optional<LineSplitter>, 2> lines;
  if (spec.on_stdout) lines[0].emplace(spec.max_line_length, spec.on_stdout);
  if (spec.on_stderr) lines[1].emplace(spec.max_line_length, spec.on_stderr);
  const Fd exit_fd = exit_handle(child.pid());

  ChildExit result;
  result.pid = child.pid();
  std::optional<Steady::time_point> term_sent;
  std::optional<Steady::time_point> exited_at;
  Steady::time_point kill_sent_at{};
  std::size_t written = 0;
  std::array<char, 65536> buffer;
  const auto send = [&](int signal) {
    child.signal_group(signal);
    if (signal == SIGKILL) {
      result.killed = true;
      kill_sent_at = Steady::now();
    }
    if (spec.on_signal) spec.on_signal(signal);
  };

  while (true) {
    const auto now = Steady::now();
    if (!exited_at && child.exited()) exited_at = now;
    if (result.stop == ChildExit::Stop::none) {
      if (spec.stop_requested && spec.stop_requested()) {
        result.stop = ChildExit::Stop::requested;
      } else if (spec.deadline && now >= *spec.deadline) {
        result.stop = ChildExit::Stop::deadline;
      }
      if (result.stop != ChildExit::Stop::none) {
        if (spec.term_grace) {
          term_sent = now;
          send(SIGTERM);
        } else {
          send(SIGKILL);
        }
      }
    }
    if (term_sent && !result.killed && now >= *term_sent + *spec.term_grace) send(SIGKILL);
    const bool output_open = out[0] || err[0];
    if (exited_at && !output_open) break;
    // The child exited (when stopping: and its group had its grace and SIGKILL) but a process
    // it started, outside its group or not yet dead, keeps the pipes open: stop reading.
    if (exited_at && (!term_sent || result.killed) &&
        now >= std::max(*exited_at, kill_sent_at) + kDrainAfterExit) {
      if (spec.on_output_abandoned) spec.on_output_abandoned();
      break;
    }

    // What to wait for: output, room in stdin, the child's exit; and by the clock, the next
    // deadline, or every kPollInterval where something must be looked at (the caller's stop,
    // a child without a pidfd, the drain after its exit).
    enum class Role { stdout_pipe, stderr_pipe, stdin_pipe, exit };
    std::array<pollfd, 4> fds{};
    std::array<Role, 4> roles{};
    nfds_t count = 0;
    const auto watch = [&](const Fd& fd, short events, Role role) {
      fds[count] = {fd.get(), events, 0};
      roles[count++] = role;
    };
    if (out[0]) watch(out[0], POLLIN, Role::stdout_pipe);
    if (err[0]) watch(err[0], POLLIN, Role::stderr_pipe);
    if (stdin_fd) watch(stdin_fd, POLLOUT, Role::stdin_pipe);
    if (exit_fd && !exited_at) watch(exit_fd, POLLIN, Role::exit);
    std::optional<Steady::time_point> next;
    if (result.stop == ChildExit::Stop::none && spec.deadline) next = spec.deadline;
    if (term_sent && !result.killed) {
      const auto kill_at = *term_sent + *spec.term_grace;
      next = next ? std::min(*next, kill_at) : kill_at;
    }
    milliseconds wait = spec.stop_requested || !exit_fd || exited_at ? kPollInterval : kLongestWait;
    if (next) {
      wait = std::clamp(std::chrono::ceil<milliseconds>(*next - now), milliseconds(0), wait);
    }
    if (::poll(fds.data(), count, static_cast<int>(wait.count())) < 0) {
      if (errno == EINTR) continue;
      return Unexpected{ChildFailure{"poll", errno}};
    }
    for (nfds_t slot = 0; slot < count; ++slot) {
      if (fds[slot].revents == 0) continue;
      if (roles[slot] == Role::stdout_pipe || roles[slot] == Role::stderr_pipe) {
        const std::size_t stream = roles[slot] == Role::stdout_pipe ? 0 : 1;
        Fd& fd = *streams[stream];
        const auto n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n > 0) {
          lines[stream]->feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          lines[stream]->finish();
          fd.reset();
        }
      } else if (roles[slot] == Role::stdin_pipe) {
        const std::string& input = *spec.input;
        const auto n = ::write(stdin_fd.get(), input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
          stdin_fd.reset();  // EOF for the child (or it went away: EPIPE)
        }
      }
    }
  }
  for (auto& stream : lines) {
    if (stream) stream->finish();
  }
  // Stopping: whatever of the tree is left goes too, before the reap frees the group id.
  if (term_sent && !result.killed) child.signal_group(SIGKILL);
  result.wait_status = child.reap();
  result.took = std::chrono::duration_cast<milliseconds>(Steady::now() - started);
  return result;
}

}  // namespace maintd::process
