#include "config/loader.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "common/display_path.hpp"
#include "config/readers.hpp"

namespace maintd::config {
namespace {

namespace fs = std::filesystem;

bool is_yaml_file(const fs::path& path) {
  return fs::is_regular_file(path) && (path.extension() == ".yaml" || path.extension() == ".yml");
}

// A `schedules:` entry is a file, a directory (its *.yaml and *.yml files) or a glob pattern.
std::vector<fs::path> expand_schedule_entry(const ScheduleEntry& entry, const fs::path& base_dir,
                                            Diagnostics& diagnostics) {
  fs::path pattern(entry.pattern);
  if (pattern.is_relative()) pattern = base_dir / pattern;
  std::vector<fs::path> files;
  if (entry.pattern.find_first_of("*?[") != std::string::npos) {
    glob_t matches{};
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        if (fs::is_regular_file(matches.gl_pathv[i])) files.emplace_back(matches.gl_pathv[i]);
      }
    }
    ::globfree(&matches);
    if (files.empty()) {
      diagnostics.warning(entry.where,
                          fmt::format("schedules: '{}' matches no file", entry.pattern));
    }
  } else if (fs::is_directory(pattern)) {
    for (const auto& file : fs::directory_iterator(pattern)) {
      if (is_yaml_file(file.path())) files.push_back(file.path());
    }
    if (files.empty()) {
      diagnostics.warning(entry.where, fmt::format("schedules: the directory '{}' holds no "
                                                   "*.yaml files",
                                                   entry.pattern));
    }
  } else if (fs::exists(pattern)) {
    files.push_back(pattern);
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

// A schedule file read and parsed, with what went wrong reading it.
struct ParsedFile {
  SourceMap map;
  std::optional<nlohmann::json> document;
  Diagnostics diagnostics;
};

// Reads and parses the schedule files on as many threads as there are cores. Parsing is most
// of what loading costs (yaml-cpp: about 30 us a task; 100,000 tasks in 20 files took 3 s on one
// core) and each file is parsed on its own; what comes after (validation, the task list, the
// duplicate check) stays in file order on the caller's thread.
std::vector<ParsedFile> parse_files(const std::vector<fs::path>& files,
                                    const YamlReadOptions& read_options) {
  std::vector<ParsedFile> parsed(files.size());
  std::atomic<std::size_t> next{0};
  const auto parse_next_files = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      ParsedFile& out = parsed[i];
      out.map = SourceMap(display_path(files[i]));
      YamlReadOptions file_options = read_options;
      file_options.base_dir = fs::absolute(files[i]).parent_path();
      out.document =
          read_yaml_file(files[i], out.map.file(), out.map, file_options, out.diagnostics);
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(files.size(), std::max(1U, std::thread::hardware_concurrency()));
  {
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(parse_next_files);
    parse_next_files();
  }  // joined
  return parsed;
}

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
      *parse_database_url("sqlite3:///var/lib/maintd/maintd.db", std::nullopt, "/");
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
      if (seen.insert(fs::weakly_canonical(file)).second) files.push_back(std::move(file));
    }
  }

  // Every file is read even after errors, so one pass reports everything.
  auto parsed = parse_files(files, read_options);
  TaskReader reader(*registry, config, diagnostics);
  for (std::size_t f = 0; f < files.size(); ++f) {
    ParsedFile& file = parsed[f];
    config.schedule_files.push_back(file.map.file());
    diagnostics.append(file.diagnostics);
    const std::size_t first = config.tasks.size();
    if (file.document) reader.read_file(*file.document, file.map, config.tasks);
    file.document.reset();  // its tree and map are not needed any more: give the memory back
    file.map = SourceMap();
    const std::string origin_file = path_from_config(files[f], base_dir);
    for (std::size_t i = first; i < config.tasks.size(); ++i) config.tasks[i].file = origin_file;
  }
  reader.report_duplicate_names();

  if (!diagnostics.has_errors()) {
    config.registry = std::move(registry);
    result.config = std::move(config);
  }
  return result;
}

}  // namespace maintd::config
