#pragma once
// A one-line progress bar for `maintd run` on a terminal, fed by the handler's progress
// reporter. Redraws at most ten times a second (handlers may report per row); event lines
// printed meanwhile go above it.
#include <chrono>
#include <mutex>
#include <ostream>
#include <string>

#include "registry/handler.hpp"

namespace maintd::cli {

// "[########------------]  1,200/5,000 rows, 12 batches, 3.2s" (or, without a total,
// "1,200 rows, 12 batches, 3.2s"), at most `width` columns.
std::string render_progress(const registry::Progress& progress, std::chrono::milliseconds elapsed,
                            std::size_t width = 80);

// "12,345"
std::string group_thousands(std::int64_t value);

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressBar(std::ostream& out) : out_(out), started_(Clock::now()) {}

  void update(const registry::Progress& progress);
  // Prints `line` (an event) above the bar.
  void print_line(const std::string& line);
  // Erases the bar, leaving the terminal as it was.
  void clear();

 private:
  void draw_locked();

  std::ostream& out_;
  std::mutex mutex_;  // the handler reports from its thread, events come from the monitor's
  Clock::time_point started_;
  Clock::time_point last_draw_{};
  registry::Progress last_;
  bool shown_ = false;
};

}  // namespace maintd::cli
