#include "handlers/command.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/child_run.hpp"
#include "common/duration.hpp"
#include "common/process.hpp"
#include "common/program_lookup.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;
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

// The program's absolute path (process::find_program), or why it cannot run, said before it does.
std::string resolve_program(const std::string& name, const fs::path& working_directory,
                            const std::string& path_variable) {
  auto found = process::find_program(name, path_variable, working_directory);
  if (found) return std::move(found).value();
  switch (found.error().kind) {
    case process::LookupFailure::Kind::missing:
      throw std::runtime_error(fmt::format("command.exec: program '{}' does not exist", name));
    case process::LookupFailure::Kind::not_executable:
      throw std::runtime_error(
          fmt::format("command.exec: '{}' is not an executable file", found.error().path));
    case process::LookupFailure::Kind::not_in_path:
      break;
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
    for (const auto& entry : process::current_environment()) {
      const std::string_view text(entry);
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
  for (const auto& [name, value] : environment) command.environment.push_back(name + "=" + value);
  // POSIX puts the shell at /bin/sh, whatever PATH says.
  command.program = resolve_program(config.value("shell", false) ? "/bin/sh" : command.argv.front(),
                                    start_in, process::path_variable(command.environment));

  command.kill_after = parse_duration(config.value("kill_after", std::string("10s"))).value();
  command.max_output_lines = config.value("max_output_lines", 1000);
  command.max_line_length = std::max(config.value("max_line_length", 2000), 1);
  return command;
}

// ---------------------------------------------------------------------------------------------
// The child's output, line by line (process::run_child cuts it), into run events: bounded in
// count here, in length by the runner.

class Output {
 public:
  Output(const registry::HandlerContext& context, const Command& command)
      : context_(context), command_(command) {}

  // One line of stdout (stream 0) or stderr (1); `cut`: longer than max_line_length.
  void line(int stream, std::string_view text, bool cut) {
    std::string line(text);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    line = valid_utf8(line);
    if (cut) line += " [line cut]";
    ++lines_[stream];
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

  json to_json() const {
    return {{"stdout_lines", lines_[0]},
            {"stderr_lines", lines_[1]},
            {"output_lines_dropped", dropped_}};
  }

  // The last lines of stderr, for the error message of a failed run.
  std::string last_error_line() const { return last_stderr_; }

 private:
  const registry::HandlerContext& context_;
  const Command& command_;
  std::array<long long, 2> lines_{0, 0};
  std::size_t emitted_ = 0;
  long long dropped_ = 0;
  std::string last_stderr_;
};

// ---------------------------------------------------------------------------------------------
// The child process (process::run_child): its output as events, the stop token as SIGTERM, then
// SIGKILL after kill_after.

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

  Output output(context, command);
  pid_t pid = 0;
  process::ChildSpec spec;
  spec.program = command.program;
  spec.argv = command.argv;
  spec.environment = command.environment;
  spec.working_directory = command.working_directory;
  spec.on_stdout = [&](std::string_view line, bool cut) { output.line(0, line, cut); };
  spec.on_stderr = [&](std::string_view line, bool cut) { output.line(1, line, cut); };
  spec.max_line_length = command.max_line_length;
  spec.stop_requested = [&] { return context.stop_requested(); };
  spec.term_grace = command.kill_after;
  spec.on_started = [&](pid_t started) {
    pid = started;
    context.info("spawn", fmt::format("pid {}: {}{}", pid, shown,
                                      command.working_directory.empty()
                                          ? ""
                                          : fmt::format(" (in {})", command.working_directory)));
  };
  spec.on_signal = [&](int signal) {
    if (signal == SIGTERM) {
      context.warning("signal", fmt::format("stop requested: SIGTERM sent to process group {}; "
                                            "SIGKILL in {} if it has not stopped",
                                            pid, format_duration(command.kill_after)));
    } else {
      context.warning("signal", fmt::format("still running {} after SIGTERM: SIGKILL sent to "
                                            "process group {}",
                                            format_duration(command.kill_after), pid));
    }
  };
  spec.on_output_abandoned = [&] {
    context.warning("output",
                    "the command exited but something it started keeps its output "
                    "open: no longer reading it");
  };
  const auto exit = process::run_child(spec);
  if (!exit) throw std::runtime_error("command.exec: " + exit.error().message(command.program));

  const int status = exit->wait_status;
  json result = {
      {"command", command.shown}, {"pid", exit->pid}, {"duration_ms", exit->took.count()}};
  result.update(output.to_json());
  if (WIFEXITED(status)) {
    result["exit_status"] = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result["signal"] = process::signal_name(WTERMSIG(status));
  }
  const std::string outcome = exit->outcome();

  const std::string program = command.shown.front();
  if (exit->stop != process::ChildExit::Stop::none) {
    throw std::runtime_error(fmt::format(
        "command.exec: '{}' stopped on request: {}{}", program, outcome,
        exit->killed ? fmt::format(" (SIGTERM ignored for {})", format_duration(command.kill_after))
                     : ""));
  }
  if (exit->succeeded()) {
    context.info("exit", fmt::format("{} in {} ms", outcome, exit->took.count()));
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
      /*check_database=*/{},
      registry::Headline{.key = "exit_status",
                         .label = "exit status",
                         .words = {{"exit_status", "exit status {}", "", true},
                                   {"signal", "killed by {}"},
                                   {"stdout_lines", "{} line of output", "{} lines of output"}},
                         .none = "",
                         .dry_run_words = {{"program", "would run {}"}},
                         .dry_run_key = ""},
  });
}

}  // namespace maintd::handlers
