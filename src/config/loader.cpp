#include "config/loader.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <future>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include "common/display_path.hpp"
#include "config/readers.hpp"

namespace maintd::config {
namespace {

namespace fs = std::filesystem;

// The filesystem is asked with std::error_code throughout: a path the system refuses to look at
// (too long, a directory that cannot be listed) is an error in the config, not an exception
// (found by fuzz/config_loader_fuzz.cpp: a 40,000-byte entry ended `maintd validate`).
bool is_regular(const fs::path& path) {
  std::error_code ignored;  // unreadable: not a file to read, and read_yaml_file would say why
  return fs::is_regular_file(path, ignored);
}

bool is_yaml_file(const fs::path& path) {
  return is_regular(path) && (path.extension() == ".yaml" || path.extension() == ".yml");
}

// An entry as messages quote it: a long one cut to its start and size.
std::string shown_entry(const std::string& pattern) {
  if (pattern.size() <= 256) return fmt::format("'{}'", pattern);
  return fmt::format("'{}...' ({} bytes)", pattern.substr(0, 64), pattern.size());
}

// A `schedules:` entry is a file, a directory (its *.yaml and *.yml files) or a glob pattern.
std::vector<fs::path> expand_schedule_entry(const ScheduleEntry& entry, const fs::path& base_dir,
                                            Diagnostics& diagnostics) {
  fs::path pattern(entry.pattern);
  if (pattern.is_relative()) pattern = base_dir / pattern;
  std::vector<fs::path> files;
  std::error_code error;
  if (entry.pattern.find_first_of("*?[") != std::string::npos) {
    glob_t matches{};
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        if (is_regular(matches.gl_pathv[i])) files.emplace_back(matches.gl_pathv[i]);
      }
    }
    ::globfree(&matches);
    if (files.empty()) {
      diagnostics.warning(entry.where,
                          fmt::format("schedules: {} matches no file", shown_entry(entry.pattern)));
    }
  } else if (fs::is_directory(pattern, error)) {
    for (fs::directory_iterator it(pattern, error), end; !error && it != end; it.increment(error)) {
      if (is_yaml_file(it->path())) files.push_back(it->path());
    }
    if (error) {
      diagnostics.error(entry.where, fmt::format("schedules: cannot list the directory {}: {}",
                                                 shown_entry(entry.pattern), error.message()));
    } else if (files.empty()) {
      diagnostics.warning(entry.where, fmt::format("schedules: the directory '{}' holds no "
                                                   "*.yaml files",
                                                   entry.pattern));
    }
  } else if (fs::exists(pattern, error)) {
    files.push_back(pattern);
  } else if (error) {
    diagnostics.error(entry.where, fmt::format("schedules: cannot look at {}: {}",
                                               shown_entry(entry.pattern), error.message()));
  } else {
    diagnostics.error(entry.where, fmt::format("schedules: '{}' does not exist (looked for {})",
                                               entry.pattern, display_path(pattern)));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A schedule file as a `schedules:` entry would name it: relative to maintd.yaml's directory.
// Stored as a task's origin, so it must not depend on the working directory.
std::string path_from_config(const fs::path& file, const fs::path& base_dir) {
  const fs::path absolute = fs::absolute(file).lexically_normal();
  const fs::path relative = absolute.lexically_relative(base_dir.lexically_normal());
  return relative.empty() ? absolute.string() : relative.string();
}

// One schedule file, parsed and its tasks read: everything the loading thread merges.
struct ReadFile {
  std::string display;  // the file as messages name it
  std::vector<Task> tasks;
  Diagnostics diagnostics;
  TaskReader::NamedAt names;
  std::vector<TaskReader::AliasUse> alias_uses;
};

// What every file's reading shares, read-only while files are read on several threads.
struct ReadContext {
  YamlReadOptions options;
  const registry::Registry& registry;
  const Config& settings;  // maintd.yaml's settings, no task yet
};

ReadFile read_schedule_file(const fs::path& file, const ReadContext& context) {
  ReadFile read;
  SourceMap map(display_path(file));
  YamlReadOptions options = context.options;
  options.base_dir = fs::absolute(file).parent_path();
  const auto document = read_yaml_file(file, map.file(), map, options, read.diagnostics);
  read.display = map.file();
  if (document) {
    TaskReader reader(context.registry, context.settings, read.diagnostics);
    reader.read_file(*document, map, read.tasks);
    read.names = reader.take_names();
    read.alias_uses = reader.take_alias_uses();
  }
  return read;  // the document and its source map are freed here, on this thread
}

// Reads schedule files on other threads, a few ahead of the thread that merges them, and hands
// them out in order. Why: parsing with yaml-cpp and reading the tasks (validating each, parsing
// its schedule) is the whole of loading a large schedule set, and each file is read on its own;
// what spans files (duplicate names, one warning per legacy alias) is merged in file order by
// the caller. The window bounds the files held at once. Measured on 100,000 tasks in 20 files,
// 2 cores, `maintd validate`: 2.1 s in one thread; 1.1 s with two files parsing ahead while
// this thread read the tasks; the tasks' reading was then a fifth of a first start's work on
// this thread, and the freeing of each parsed file a tenth, which now happen on the readers.
class ReadAhead {
 public:
  // As many files in flight as cores, at most 4; none on one core (no gain, only a thread).
  static std::size_t read_threads() {
    const unsigned cores = std::thread::hardware_concurrency();
    return cores <= 1 ? 0 : std::min(cores, 4U);
  }

  ReadAhead(const std::vector<fs::path>& files, const ReadContext& context)
      : files_(files), context_(context), window_(read_threads()) {}

  // Frees a file the caller has merged on another thread (freeing 5,000 tasks and their names
  // is work this thread need not wait for).
  void retire(ReadFile merged) {
    if (window_ == 0) return;  // one core: freed here, as it goes out of scope
    retired_.push_back(std::async(std::launch::async, [doomed = std::move(merged)]() mutable {
      ReadFile gone = std::move(doomed);
    }));
  }

  // The next file in order; read on this thread when nothing runs ahead.
  ReadFile next() {
    launch();
    if (in_flight_.empty()) return read_schedule_file(files_[launched_++], context_);
    ReadFile read = in_flight_.front().get();
    in_flight_.pop_front();
    launch();  // the following files are read while the caller merges this one
    return read;
  }

 private:
  void launch() {
    while (launched_ < files_.size() && in_flight_.size() < window_) {
      in_flight_.push_back(std::async(std::launch::async, read_schedule_file,
                                      std::cref(files_[launched_++]), std::cref(context_)));
    }
  }

  const std::vector<fs::path>& files_;
  const ReadContext& context_;
  std::size_t window_;
  std::size_t launched_ = 0;
  std::deque<std::future<ReadFile>> in_flight_;  // the futures' destructors wait for them
  std::vector<std::future<void>> retired_;       // these too
};

}  // namespace

std::string to_string(Concurrency concurrency) {
  switch (concurrency) {
    case Concurrency::forbid:
      return "forbid";
    case Concurrency::allow:
      return "allow";
    case Concurrency::replace:
      return "replace";
  }
  return "?";
}

const Task* Config::find_task(std::string_view name) const {
  for (const Task& task : tasks) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

fs::path resolve_config_path(const std::optional<std::string>& flag, const Environment& env) {
  if (flag && !flag->empty()) return *flag;
  if (auto from_env = env("MAINTD_CONFIG"); from_env && !from_env->empty()) return *from_env;
  return "/etc/maintd/maintd.yaml";
}

LoadResult load_config(const LoadOptions& options) {
  LoadResult result;
  Diagnostics& diagnostics = result.diagnostics;
  const fs::path base_dir = fs::absolute(options.config_path).parent_path();
  YamlReadOptions read_options{options.env, base_dir, std::nullopt};
  if (auto credentials = options.env("CREDENTIALS_DIRECTORY");
      credentials && !credentials->empty()) {
    read_options.credentials_dir = fs::path(*credentials);
  }

  Config config;
  config.path = options.config_path;
  config.state_database =
      *connection::parse_database_url("sqlite3:///var/lib/maintd/maintd.db", std::nullopt, "/");
  auto registry = std::make_shared<registry::Registry>(*options.handlers);

  SourceMap settings_map(display_path(options.config_path));
  const auto root = read_yaml_file(options.config_path, settings_map.file(), settings_map,
                                   read_options, diagnostics);
  std::vector<ScheduleEntry> entries;
  if (root) read_settings(*root, settings_map, base_dir, config, *registry, entries, diagnostics);

  std::vector<fs::path> files;
  std::set<fs::path> seen;
  for (const auto& entry : entries) {
    for (auto& file : expand_schedule_entry(entry, base_dir, diagnostics)) {
      std::error_code error;  // the file was just found: were it gone, reading it says so
      fs::path canonical = fs::weakly_canonical(file, error);
      if (error) canonical = file;
      if (seen.insert(canonical).second) files.push_back(std::move(file));
    }
  }

  // Every file is read even after errors, so one pass reports everything. The files are read
  // ahead on other threads (ReadAhead), against a copy of the settings that stays as it is
  // while this thread adds their tasks to `config`.
  const Config settings = config;
  const ReadContext context{read_options, *registry, settings};
  ReadAhead ahead(files, context);
  TaskReader::NamedAt names;
  std::set<std::string> warned_aliases;
  for (const auto& file : files) {
    ReadFile next = ahead.next();
    diagnostics.append(next.diagnostics);
    config.schedule_files.push_back(std::move(next.display));
    const std::string origin_file = path_from_config(file, base_dir);
    // Copied, not moved: the copies are allocated by this thread, in glibc's main arena, and
    // the reader's arena is left with nothing but freed memory, which malloc_trim hands back.
    // Moved, the tasks kept every reader's arena fragmented: 1,099 bytes per task at 100,000
    // tasks instead of 872 (bench/daemon_scale.sh).
    for (const Task& task : next.tasks) {
      config.tasks.push_back(task);
      config.tasks.back().file = origin_file;
    }
    names.insert(names.end(), std::make_move_iterator(next.names.begin()),
                 std::make_move_iterator(next.names.end()));
    for (auto& use : next.alias_uses) {
      if (warned_aliases.insert(use.type).second) {
        diagnostics.warning(use.where, std::move(use.message));
      }
    }
    ahead.retire(std::move(next));
  }
  report_duplicate_names(names, diagnostics);

  if (!diagnostics.has_errors()) {
    config.registry = std::move(registry);
    result.config = std::move(config);
  }
  return result;
}

}  // namespace maintd::config
