// Where the daemon's memory per task goes (issue 5's target: < 1 KiB per task above baseline).
// Loads a configuration the way `maintd serve` does and prints the heap bytes in use per task
// after each stage: the loaded Config, the effective task set, the planner. Heap figures come
// from glibc's mallinfo2() (bytes handed out, malloc's own overhead included), so they add up
// to less than the VmRSS difference bench/daemon_scale.sh reports (which also holds the state
// database's page cache and thread stacks).
//
// Usage: task_memory path/to/maintd.yaml   (bench/daemon_bench.py scale --keep writes one;
//        or any configuration)
#include <fmt/format.h>
#include <malloc.h>

#include <cstdio>
#include <memory>

#include "config/loader.hpp"
#include "handlers/builtin.hpp"
#include "scheduler/planner.hpp"
#include "tasks/task_set.hpp"

namespace {

std::size_t heap_in_use() {
  malloc_trim(0);
  const auto info = mallinfo2();
  return info.uordblks + info.hblkhd;  // small chunks and mmapped ones (the task vector)
}

}  // namespace

int main(int argc, char** argv) {
  using namespace maintd;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s maintd.yaml\n", argv[0]);
    return 2;
  }
  const auto registry = handlers::builtin_registry();
  const std::size_t at_start = heap_in_use();
  auto loaded = config::load_config({argv[1], &registry, config::process_environment()});
  if (!loaded.config) {
    std::fprintf(stderr, "%zu errors: run maintd validate --config %s\n",
                 loaded.diagnostics.error_count(), argv[1]);
    return 1;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded.config));
  loaded = {};
  const std::size_t tasks = config->tasks.size();
  if (tasks == 0) return 1;
  const std::size_t after_config = heap_in_use();

  auto set = std::make_shared<tasks::TaskSet>(tasks::TaskSet::files_of(*config));
  set->keep_alive(config);
  const std::size_t after_set = heap_in_use();

  scheduler::Planner planner;
  planner.set_shared_tasks(set, Instant{}, {});
  const std::size_t after_planner = heap_in_use();

  const auto per_task = [&](std::size_t from, std::size_t to) {
    return static_cast<double>(to - from) / static_cast<double>(tasks);
  };
  fmt::print("{} tasks; sizeof(config::Task) = {} B\n", tasks, sizeof(config::Task));
  fmt::print("config::Config (tasks, strings, JSON)  {:7.0f} B/task\n",
             per_task(at_start, after_config));
  fmt::print("tasks::TaskSet (pointers, name index)  {:7.0f} B/task\n",
             per_task(after_config, after_set));
  fmt::print("scheduler::Planner (entries, queue)    {:7.0f} B/task\n",
             per_task(after_set, after_planner));
  fmt::print("total heap                             {:7.0f} B/task\n",
             per_task(at_start, after_planner));
  return 0;
}
