#include "handlers/command.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.hpp"
#include "common/process.hpp"

extern char** environ;

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// What is shown of a command: argv may carry credentials (a bad habit, but a common one), and
// run events end up in the state database and the journal.

bool names_a_secret(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 6> kSecretWords = {"password", "passwd",  "token",
                                                                   "secret",   "api_key", "apikey"};
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return lower.find(word) != std::string::npos; });
}

// "postgresql://user:pw@host" -> "postgresql://user:***@host".
std::string mask_url_password(std::string text) {
  for (std::size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    const auto authority = scheme + 3;
    const auto at = text.find('@', authority);
    const auto end = text.find_first_of("/ \t", authority);
    if (at == std::string::npos || (end != std::string::npos && end < at)) continue;
    const auto colon = text.find(':', authority);
    if (colon == std::string::npos || colon > at) continue;
    text.replace(colon + 1, at - colon - 1, "***");
  }
  return text;
}

// One argument as shown: `--password=x` and the value after a bare `--password` become ***.
std::vector<std::string> masked_arguments(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  bool mask_next = false;
  for (const auto& word : words) {
    if (mask_next) {
      out.emplace_back("***");
      mask_next = false;
      continue;
    }
    const auto equals = word.find('=');
    if (equals != std::string::npos && names_a_secret(word.substr(0, equals))) {
      out.push_back(word.substr(0, equals + 1) + "***");
      continue;
    }
    mask_next = word.starts_with("-") && equals == std::string::npos && names_a_secret(word);
    out.push_back(mask_url_password(word));
  }
  return out;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || std::strchr("-_./=:,+@%", c) != nullptr;
      })) {
    return word;
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

// Run events are text columns: PostgreSQL refuses invalid UTF-8 and NUL bytes, and a program's
// output may hold either (binary output, a line cut in the middle of a character).
std::string valid_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (c == 0) {
      length = 0;
    } else if (c < 0x80) {
      length = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && length >= 3) {
      // No overlong forms, no surrogates, nothing above U+10FFFF.
      const auto second = static_cast<unsigned char>(text[i + 1]);
      if (c == 0xE0) ok = second >= 0xA0;
      if (c == 0xED) ok = second < 0xA0;
      if (c == 0xF0) ok = second >= 0x90;
      if (c == 0xF4) ok = second < 0x90;
    }
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signal);
}

// ---------------------------------------------------------------------------------------------
// The command as configured, resolved before anything runs (a dry run resolves it too, so that a
// typo in the program's name shows before the first real run).

struct Command {
  std::vector<std::string> argv;         // executed: argv[0] as given (or "sh" for shell: true)
  std::vector<std::string> shown;        // for events and the result, secrets masked
  std::string program;                   // the file executed: absolute
  std::string working_directory;         // empty: maintd's own
  std::vector<std::string> environment;  // NAME=value
  std::vector<std::string> env_names;    // set or unset by the config: names only, never values
  std::chrono::seconds kill_after{10};
  std::size_t max_output_lines = 1000;
  std::size_t max_line_length = 2000;
};

bool is_executable_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

std::string resolve_program(const std::string& name, const fs::path& working_directory,
                            const std::string& path_variable) {
  if (name.find('/') != std::string::npos) {
    // Relative to the directory the program starts in, as the child would see it.
    const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : working_directory / name;
    std::error_code error;
    if (!fs::exists(path, error)) {
      throw std::runtime_error(fmt::format("command.exec: program '{}' does not exist", name));
    }
    if (!is_executable_file(path)) {
      throw std::runtime_error(
          fmt::format("command.exec: '{}' is not an executable file", path.string()));
    }
    return path.lexically_normal().string();
  }
  std::string_view rest = path_variable;
  while (true) {
    const auto colon = rest.find(':');
    const auto entry = rest.substr(0, colon);
    const fs::path dir = entry.empty() ? fs::path(".") : fs::path(entry);
    const fs::path candidate = (dir.is_absolute() ? dir : working_directory / dir) / name;
    if (is_executable_file(candidate)) return candidate.lexically_normal().string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  throw std::runtime_error(
      fmt::format("command.exec: program '{}' not found in PATH ({})", name, path_variable));
}

Command command_of(const registry::HandlerContext& context) {
  const auto& config = context.config;
  Command command;
  const bool shell = config.value("shell", false);
  const bool has_argv = config.contains("argv");
  const bool has_command = config.contains("command");
  if (has_argv == has_command) {
    throw std::invalid_argument(
        has_argv ? "command.exec: give 'argv' or 'command', not both"
                 : "command.exec: nothing to run: give 'argv' (the program and its arguments) or "
                   "'command' (a shell command line, with shell: true)");
  }
  if (has_command) {
    // A command line means a shell; the operator says so explicitly, so that a string is never
    // handed to /bin/sh by accident (word splitting, globbing, $variables).
    if (!shell) {
      throw std::invalid_argument(
          "command.exec: 'command' is a shell command line: set shell: true, or give 'argv' "
          "(the program and its arguments, no shell)");
    }
    const auto line = config.at("command").get<std::string>();
    if (line.find_first_not_of(" \t\n") == std::string::npos) {
      throw std::invalid_argument("command.exec: 'command' is empty");
    }
    command.argv = {"sh", "-c", line};
    // The command line is shown word by word masked, as far as whitespace splits it.
    std::vector<std::string> parts;
    std::string part;
    for (const char c : line) {
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        if (!part.empty()) parts.push_back(std::move(part));
        part.clear();
      } else {
        part += c;
      }
    }
    if (!part.empty()) parts.push_back(std::move(part));
    std::string shown;
    for (const auto& word : masked_arguments(parts)) shown += (shown.empty() ? "" : " ") + word;
    command.shown = {"sh", "-c", shown};
  } else {
    if (shell) {
      throw std::invalid_argument(
          "command.exec: shell: true runs 'command' (one string, the command line), not 'argv'");
    }
    command.argv = config.at("argv").get<std::vector<std::string>>();
    if (command.argv.empty() || command.argv.front().empty()) {
      throw std::invalid_argument(
          "command.exec: 'argv' is empty: give the program and its arguments");
    }
    command.shown = masked_arguments(command.argv);
  }

  command.working_directory = config.value("working_directory", std::string());
  fs::path start_in = fs::current_path();
  if (!command.working_directory.empty()) {
    std::error_code error;
    if (!fs::is_directory(command.working_directory, error)) {
      throw std::runtime_error(
          fmt::format("command.exec: working_directory '{}' does not exist or is not a directory",
                      command.working_directory));
    }
    start_in = fs::absolute(command.working_directory);
  }

  // The environment: maintd's own (unless inherit_env is false), then the config's: a value
  // sets, null unsets.
  std::vector<std::pair<std::string, std::string>> environment;
  if (config.value("inherit_env", true)) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      const std::string_view text(*entry);
      const auto equals = text.find('=');
      if (equals == std::string_view::npos) continue;
      environment.emplace_back(std::string(text.substr(0, equals)),
                               std::string(text.substr(equals + 1)));
    }
  }
  if (const auto it = config.find("env"); it != config.end()) {
    for (const auto& [name, value] : it->items()) {
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        throw std::invalid_argument(
            fmt::format("command.exec: env: '{}' is not an environment variable name", name));
      }
      // Not the structured binding itself: clang 14 cannot capture one.
      const std::string& key = name;
      std::erase_if(environment, [&](const auto& entry) { return entry.first == key; });
      command.env_names.push_back(name);
      if (value.is_null()) continue;
      if (value.is_string()) {
        environment.emplace_back(name, value.get<std::string>());
      } else if (value.is_number() || value.is_boolean()) {
        environment.emplace_back(name, value.dump());
      } else {
        // The value is not shown: it may be a secret.
        throw std::invalid_argument(
            fmt::format("command.exec: env.{}: expected a string, number or boolean", name));
      }
    }
  }
  std::string path_variable = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [name, value] : environment) {
    command.environment.push_back(name + "=" + value);
    if (name == "PATH") path_variable = value;
  }
  // POSIX puts the shell at /bin/sh, whatever PATH says.
  command.program = resolve_program(config.value("shell", false) ? "/bin/sh" : command.argv.front(),
                                    start_in, path_variable);

  command.kill_after = parse_duration(config.value("kill_after", std::string("10s"))).value();
  command.max_output_lines = config.value("max_output_lines", 1000);
  command.max_line_length = std::max(config.value("max_line_length", 2000), 1);
  return command;
}

// ---------------------------------------------------------------------------------------------
// The child's output, line by line, into run events: bounded in count and in length.

class Output {
 public:
  Output(const registry::HandlerContext& context, const Command& command)
      : context_(context), command_(command) {}

  void feed(int stream, std::string_view data) {
    Stream& s = streams_[stream];
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const auto piece = data.substr(0, newline);
      if (!s.cutting) {
        const auto room = command_.max_line_length - s.pending.size();
        s.pending.append(piece.substr(0, room));
        if (piece.size() > room) {
          emit(stream, s.pending, true);
          s.pending.clear();
          s.cutting = true;
        }
      }
      if (newline == std::string_view::npos) break;
      if (!s.cutting) emit(stream, s.pending, false);
      s.pending.clear();
      s.cutting = false;
      data.remove_prefix(newline + 1);
    }
  }

  void finish(int stream) {
    Stream& s = streams_[stream];
    if (!s.pending.empty() && !s.cutting) emit(stream, s.pending, false);
    s.pending.clear();
  }

  json to_json() const {
    return {{"stdout_lines", streams_[0].lines},
            {"stderr_lines", streams_[1].lines},
            {"output_lines_dropped", dropped_}};
  }

  // The last lines of stderr, for the error message of a failed run.
  std::string last_error_line() const { return last_stderr_; }

 private:
  struct Stream {
    std::string pending;
    bool cutting = false;  // the rest of an over-long line is being skipped
    long long lines = 0;
  };

  void emit(int stream, std::string line, bool cut) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    line = valid_utf8(line);
    if (cut) line += " [line cut]";
    ++streams_[stream].lines;
    if (stream == 1 && !line.empty()) last_stderr_ = line.substr(0, 200);
    if (emitted_ < command_.max_output_lines) {
      ++emitted_;
      context_.info(stream == 0 ? "stdout" : "stderr", line);
      return;
    }
    if (dropped_++ == 0) {
      context_.warning("output_truncated",
                       fmt::format("output truncated: more than {} lines; the rest is counted, "
                                   "not recorded",
                                   command_.max_output_lines));
    }
  }

  const registry::HandlerContext& context_;
  const Command& command_;
  std::array<Stream, 2> streams_;
  std::size_t emitted_ = 0;
  long long dropped_ = 0;
  std::string last_stderr_;
};

// ---------------------------------------------------------------------------------------------
// The child process.

using process::Child;
using process::Fd;

std::array<Fd, 2> make_pipe() {
  auto fds = process::make_pipe();
  if (!fds) {
    throw std::runtime_error(fmt::format("command.exec: pipe: {}", std::strerror(fds.error())));
  }
  return std::move(fds).value();
}

pid_t spawn(const Command& command, int stdout_fd, int stderr_fd) {
  process::SpawnRequest request;
  request.program = command.program;
  request.argv = command.argv;
  request.environment = command.environment;
  request.working_directory = command.working_directory;
  request.stdout_fd = stdout_fd;
  request.stderr_fd = stderr_fd;
  auto pid = process::spawn(request);
  if (!pid) {
    throw std::runtime_error(fmt::format("command.exec: cannot run '{}': {}", command.program,
                                         std::strerror(pid.error())));
  }
  return *pid;
}

using process::exit_handle;

// How often the stop token is looked at while the child runs.
constexpr std::chrono::milliseconds kPollInterval{50};
// After the child exits, how long to keep reading output a background process of it may still
// write; then the pipes are closed (the process gets SIGPIPE if it writes on).
constexpr std::chrono::milliseconds kDrainAfterExit{500};

json run_command(registry::HandlerContext& context) {
  Command command = command_of(context);
  const auto shown = joined(command.shown);

  if (context.dry_run) {
    context.info("dry_run", fmt::format("would run: {}", shown));
    json result = {{"dry_run", true},
                   {"would_run", command.shown},
                   {"program", command.program},
                   {"env", command.env_names}};
    if (!command.working_directory.empty()) {
      result["working_directory"] = command.working_directory;
    }
    return result;
  }

  auto out = make_pipe();
  auto err = make_pipe();
  const auto started = Steady::now();
  Child child(spawn(command, out[1].get(), err[1].get()));
  // Only the child holds the write ends now: EOF on our side means every writer is gone.
  out[1].reset();
  err[1].reset();
  context.info("spawn", fmt::format("pid {}: {}{}", child.pid(), shown,
                                    command.working_directory.empty()
                                        ? ""
                                        : fmt::format(" (in {})", command.working_directory)));

  Output output(context, command);
  Fd exit_fd = exit_handle(child.pid());
  std::optional<Steady::time_point> term_sent;
  std::optional<Steady::time_point> exited_at;
  bool kill_sent = false;
  Steady::time_point kill_sent_at{};
  std::array<char, 65536> buffer;

  while (true) {
    const auto now = Steady::now();
    if (!exited_at && child.exited()) exited_at = now;
    if (context.stop_requested() && !term_sent) {
      term_sent = now;
      child.signal_group(SIGTERM);
      context.warning("signal", fmt::format("stop requested: SIGTERM sent to process group {}; "
                                            "SIGKILL in {} if it has not stopped",
                                            child.pid(), format_duration(command.kill_after)));
    }
    if (term_sent && !kill_sent && now >= *term_sent + command.kill_after) {
      kill_sent = true;
      kill_sent_at = now;
      child.signal_group(SIGKILL);
      context.warning("signal", fmt::format("still running {} after SIGTERM: SIGKILL sent to "
                                            "process group {}",
                                            format_duration(command.kill_after), child.pid()));
    }
    const bool pipes_open = out[0] || err[0];
    if (exited_at && !pipes_open) break;
    // The command exited (when stopping: and its group had its grace and SIGKILL) but a process
    // it started, outside its group or not yet dead, keeps the pipes open: stop reading.
    if (exited_at && (!term_sent || kill_sent) &&
        now >= std::max(*exited_at, kill_sent_at) + kDrainAfterExit) {
      context.warning("output",
                      "the command exited but something it started keeps its output "
                      "open: no longer reading it");
      break;
    }

    std::vector<pollfd> fds;
    std::array<int, 2> stream_of_slot{-1, -1};
    for (int stream = 0; stream < 2; ++stream) {
      const Fd& fd = stream == 0 ? out[0] : err[0];
      if (!fd) continue;
      stream_of_slot[fds.size()] = stream;
      fds.push_back({fd.get(), POLLIN, 0});
    }
    if (exit_fd && !exited_at) fds.push_back({exit_fd.get(), POLLIN, 0});
    auto timeout = kPollInterval;
    if (term_sent && !kill_sent) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *term_sent + command.kill_after - now);
      timeout = std::clamp(left, std::chrono::milliseconds(0), kPollInterval);
    }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("command.exec: poll: {}", std::strerror(errno)));
    }
    for (std::size_t slot = 0; slot < fds.size(); ++slot) {
      if (slot >= 2 || stream_of_slot[slot] < 0 || fds[slot].revents == 0) continue;
      const int stream = stream_of_slot[slot];
      Fd& fd = stream == 0 ? out[0] : err[0];
      const auto n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n > 0) {
        output.feed(stream, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        output.finish(stream);
        fd.reset();
      }
    }
  }
  output.finish(0);
  output.finish(1);
  // Stopping: whatever of the tree is left goes too, before the reap frees the group id.
  if (term_sent && !kill_sent) child.signal_group(SIGKILL);
  const int status = child.reap();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);

  json result = {{"command", command.shown}, {"pid", child.pid()}, {"duration_ms", took.count()}};
  result.update(output.to_json());
  std::string outcome;
  if (WIFEXITED(status)) {
    result["exit_status"] = WEXITSTATUS(status);
    outcome = fmt::format("exited with status {}", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    result["signal"] = signal_name(WTERMSIG(status));
    outcome =
        fmt::format("killed by signal {} ({})", WTERMSIG(status), signal_name(WTERMSIG(status)));
  }

  const std::string program = command.shown.front();
  if (term_sent) {
    throw std::runtime_error(fmt::format(
        "command.exec: '{}' stopped on request: {}{}", program, outcome,
        kill_sent ? fmt::format(" (SIGTERM ignored for {})", format_duration(command.kill_after))
                  : ""));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    context.info("exit", fmt::format("{} in {} ms", outcome, took.count()));
    return result;
  }
  const auto last = output.last_error_line();
  throw std::runtime_error(
      fmt::format("command.exec: '{}' {}{}", program, outcome, last.empty() ? "" : ": " + last));
}

}  // namespace

void register_command_handlers(registry::Registry& registry) {
  registry.add_handler({
      "command.exec",
      "Runs a program with the task's timeout; its output becomes the run's events and its exit "
      "status decides the run",
      registry::ConfigSchema({
          KeySpec{"argv",
                  ValueType::string_list,
                  "the program and its arguments, run without a shell; or 'command'",
                  false,
                  {},
                  {},
                  {},
                  {}},
          KeySpec{"command",
                  ValueType::string,
                  "a shell command line (pipes, redirections), run with /bin/sh -c; needs "
                  "shell: true",
                  false,
                  {},
                  {},
                  {},
                  {}},
          KeySpec{"shell",
                  ValueType::boolean,
                  "run 'command' with /bin/sh -c: the explicit opt-in to a shell",
                  false,
                  false,
                  {},
                  {},
                  {}},
          KeySpec{"env",
                  ValueType::object,
                  "environment variables to set (null unsets one); values are never logged",
                  false,
                  json::object(),
                  {},
                  {},
                  {}},
          KeySpec{"inherit_env",
                  ValueType::boolean,
                  "start from maintd's own environment (false: only 'env')",
                  false,
                  true,
                  {},
                  {},
                  {}},
          KeySpec{"working_directory",
                  ValueType::string,
                  "the directory the program starts in (empty: maintd's own)",
                  false,
                  "",
                  {},
                  {},
                  {}},
          KeySpec{"kill_after",
                  ValueType::duration,
                  "on timeout or cancel: how long after SIGTERM the process group gets SIGKILL",
                  false,
                  "10s",
                  0,
                  3600,
                  {}},
          KeySpec{"max_output_lines",
                  ValueType::integer,
                  "output lines recorded as events; the rest are counted, not recorded",
                  false,
                  1000,
                  0,
                  100000,
                  {}},
          KeySpec{"max_line_length",
                  ValueType::integer,
                  "bytes of one output line recorded; longer lines are cut",
                  false,
                  2000,
                  16,
                  65536,
                  {}},
      }),
      run_command,
  });
}

}  // namespace maintd::handlers
