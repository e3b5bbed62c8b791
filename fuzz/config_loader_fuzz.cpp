// libFuzzer target: the config loader, as `maintd validate` runs it. YAML, ${VAR} expansion,
// `*_file` values, schedule files and the validation of every setting and task against the
// built-in handlers' schemas.
//
// An input is up to three files, separated by a line "%%": maintd.yaml, s.yaml (a schedule file
// maintd.yaml may name) and note.txt (a file a `*_file` key may name). They are written to a
// directory made once per process, beside fixed ones a config may also name: secret.txt (a
// password), fifo (a FIFO: reading it would block for ever) and sub/ (a directory). The
// environment holds HOME, EMPTY (empty) and BIG (40,000 bytes: ${BIG}${BIG} crosses the value
// limit); /dev/zero is there too.
//
// Checked, beyond no crash, no sanitizer report, no timeout (-timeout) and no memory blow-up
// (-rss_limit_mb), each a violation that aborts with the input saved:
//   1. a config is loaded exactly when there is no error;
//   2. every diagnostic has a message;
//   3. secret.txt's content appears in no diagnostic and no database's `display`, unless the
//      input could put it somewhere not secret: it holds the secret itself (libFuzzer learns it
//      from the comparisons), names secret.txt other than as "password_file: secret.txt", or
//      has a `*_file` key other than password_file.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/loader.hpp"
#include "handlers/builtin.hpp"

namespace {

namespace fs = std::filesystem;
using maintd::config::Diagnostic;

constexpr std::string_view kSecret = "fuzz-Secret-7c1e";

std::string g_text;  // the current input, for messages

[[noreturn]] void violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\nconfig_loader_fuzz: %s\n  %s\n  input: \"%s\"\n", what, detail.c_str(),
               g_text.c_str());
  std::abort();
}

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// The directory the files are written to, with the fixed ones in it. Made once: a new directory
// per input would cost more than loading it.
const fs::path& directory() {
  static const fs::path dir = [] {
    std::string templ = (fs::temp_directory_path() / "config_loader_fuzz.XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    const fs::path made(templ);
    write_file(made / "secret.txt", std::string(kSecret) + "\n");
    if (::mkfifo((made / "fifo").c_str(), 0600) != 0) std::abort();
    fs::create_directory(made / "sub");
    write_file(made / "sub" / "t.yaml",
               "tasks:\n  - {name: sub-task, type: debug.noop, schedule: '@daily'}\n");
    return made;
  }();
  // Removed when libFuzzer ends the run (it calls exit()); a crash leaves it, a few bytes.
  // Registered once `dir` is built, so that it runs before `dir` is destroyed.
  static const bool removed_at_exit = std::atexit([] {
                                        std::error_code ignored;
                                        fs::remove_all(directory(), ignored);
                                      }) == 0;
  (void)removed_at_exit;
  return dir;
}

std::vector<std::string_view> split_files(std::string_view text) {
  std::vector<std::string_view> parts;
  constexpr std::string_view kSeparator = "\n%%\n";
  while (parts.size() < 2) {
    const std::size_t at = text.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(text);
  parts.resize(3);
  return parts;
}

std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

// Whether the secret can only become a password: see 3. above.
bool secret_only_as_password(std::string_view text) {
  return text.find(kSecret) == std::string_view::npos &&
         count(text, "secret.txt") == count(text, "password_file: secret.txt") &&
         count(text, "_file") == count(text, "password_file");
}

// A glob below a directory other than sub/ ("schedules: [/*/*/*]") may match half the machine:
// slow for reasons of its own, not the loader's.
bool absolute_glob(std::string_view text) {
  for (std::size_t at = text.find("/*"); at != std::string_view::npos;
       at = text.find("/*", at + 1)) {
    if (at < 3 || text.substr(at - 3, 3) != "sub") return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return -1;  // enough for any structure; the limits are reached through BIG
  if (absolute_glob(std::string_view(reinterpret_cast<const char*>(data), size))) return -1;
  static const auto registry = maintd::handlers::builtin_registry();
  const fs::path& dir = directory();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  g_text.assign(text);

  const auto files = split_files(text);
  write_file(dir / "maintd.yaml", files[0]);
  write_file(dir / "s.yaml", files[1]);
  write_file(dir / "note.txt", files[2]);

  maintd::config::LoadOptions options;
  options.config_path = dir / "maintd.yaml";
  options.handlers = &registry;
  options.env = [&dir](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return dir.string();
    if (name == "EMPTY") return std::string();
    if (name == "BIG") return std::string(40000, 'b');
    return std::nullopt;
  };
  // A relative path in the config is relative to maintd.yaml's directory, whatever the working
  // directory is: nothing outside `dir` is written or read but what an absolute path names.
  const auto result = maintd::config::load_config(options);

  const auto errors = result.diagnostics.errors();
  if (result.config.has_value() != errors.empty()) {
    violation("a config is loaded with errors, or not loaded without one",
              errors.empty() ? "no error" : errors.front().to_string());
  }
  const bool check_secret = secret_only_as_password(text);
  const auto check = [&](const Diagnostic& d) {
    if (d.message.empty()) violation("a diagnostic without a message", d.to_string());
    if (check_secret && d.to_string().find(kSecret) != std::string::npos) {
      violation("a diagnostic shows the password of secret.txt", d.to_string());
    }
  };
  for (const auto& d : errors) check(d);
  for (const auto& d : result.diagnostics.warnings()) check(d);
  if (result.config && check_secret) {
    for (const auto& [name, database] : result.config->databases) {
      if (database.display.find(kSecret) != std::string::npos) {
        violation("a database's display shows the password of secret.txt", database.display);
      }
    }
    if (result.config->state_database.display.find(kSecret) != std::string::npos) {
      violation("the state database's display shows the password of secret.txt",
                result.config->state_database.display);
    }
  }
  return 0;
}
