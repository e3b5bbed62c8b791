// Validating a large schedule set: 10,000 tasks in 20 files, the whole load_config() path
// (YAML, expansion, registry, cron, zones, handler schemas). Side by side: yaml-cpp parsing the
// same files and nothing else, the floor any YAML-based validator stands on.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "config/loader.hpp"
#include "handlers/builtin.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kFiles = 20;
constexpr int kTasksPerFile = 500;

// maintd.yaml and the schedule files, written once per process and removed at exit.
struct ScheduleSet {
  fs::path path;
  ~ScheduleSet() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path& schedule_set() {
  static const ScheduleSet set{[] {
    fs::path path = fs::temp_directory_path() / fmt::format("maintd-bench-{}", ::getpid());
    fs::create_directories(path / "schedules");
    std::ofstream(path / "maintd.yaml") << "schedules: [schedules/]\n"
                                           "databases: {app: sqlite3://app.db}\n"
                                           "defaults: {timezone: Europe/Berlin}\n"
                                           "types:\n"
                                           "  search.reindex: {handler: debug.noop}\n";
    const char* schedules[] = {"*/5 * * * *", "0 2 * * *", "30 3 * * 1-5",   "0 */6 * * *",
                               "15 4 1 * *",  "@hourly",   "*/10 * * * * *", "0 0 L * *"};
    const char* zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"};
    std::mt19937 rng(42);
    for (int f = 0; f < kFiles; ++f) {
      std::ofstream out(path / "schedules" / fmt::format("tasks-{:02}.yaml", f));
      out << "tasks:\n";
      for (int t = 0; t < kTasksPerFile; ++t) {
        out << fmt::format(
            "  - name: task-{}-{}\n"
            "    type: {}\n"
            "    schedule: \"{}\"\n"
            "    timezone: {}\n"
            "    description: generated task {}\n"
            "    timeout: 5m\n"
            "    retries: 2\n"
            "    config: {{sleep: 1s}}\n",
            f, t, rng() % 2 ? "debug.noop" : "search.reindex", schedules[rng() % 8],
            zones[rng() % 4], t);
      }
    }
    return path;
  }()};
  return set.path;
}

void BM_LoadConfig10kTasks(benchmark::State& state) {
  const auto registry = maintd::handlers::builtin_registry();
  maintd::config::LoadOptions options;
  options.config_path = schedule_set() / "maintd.yaml";
  options.handlers = &registry;
  for (auto _ : state) {
    auto result = maintd::config::load_config(options);
    if (!result.config || result.config->tasks.size() != kFiles * kTasksPerFile) {
      state.SkipWithError("the generated schedule set did not validate");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.counters["tasks"] = kFiles * kTasksPerFile;
}
BENCHMARK(BM_LoadConfig10kTasks)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void BM_YamlCppParseOnly10kTasks(benchmark::State& state) {
  const fs::path dir = schedule_set() / "schedules";
  for (auto _ : state) {
    std::size_t nodes = 0;
    for (int f = 0; f < kFiles; ++f) {
      const YAML::Node doc = YAML::LoadFile((dir / fmt::format("tasks-{:02}.yaml", f)).string());
      nodes += doc["tasks"].size();
    }
    benchmark::DoNotOptimize(nodes);
  }
}
BENCHMARK(BM_YamlCppParseOnly10kTasks)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
