#include "cli/progress_bar.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace maintd::cli {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr std::size_t kBarCells = 20;

}  // namespace

std::string group_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string render_progress(const registry::Progress& progress, std::chrono::milliseconds elapsed,
                            std::size_t width) {
  std::string counts;
  std::string bar;
  if (progress.total && *progress.total > 0) {
    const double fraction = std::clamp(
        static_cast<double>(progress.done) / static_cast<double>(*progress.total), 0.0, 1.0);
    const auto filled = static_cast<std::size_t>(fraction * kBarCells);
    bar = "[" + std::string(filled, '#') + std::string(kBarCells - filled, '-') + "] ";
    counts = fmt::format("{}/{} {}", group_thousands(progress.done),
                         group_thousands(*progress.total), progress.unit);
  } else {
    counts = fmt::format("{} {}", group_thousands(progress.done), progress.unit);
  }
  std::string line =
      fmt::format("{}{}, {} batch{}, {:.1f}s", bar, counts, group_thousands(progress.batches),
                  progress.batches == 1 ? "" : "es", static_cast<double>(elapsed.count()) / 1000.0);
  // Never wrap: a wrapped line cannot be redrawn in place.
  if (line.size() > width) line.resize(width);
  return line;
}

void ProgressBar::update(const registry::Progress& progress) {
  std::lock_guard lock(mutex_);
  last_ = progress;
  const auto now = Clock::now();
  if (shown_ && now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  draw_locked();
}

void ProgressBar::print_line(const std::string& line) {
  std::lock_guard lock(mutex_);
  if (shown_) out_ << "\r\033[K";
  out_ << line << '\n';
  if (shown_) draw_locked();
  out_.flush();
}

void ProgressBar::clear() {
  std::lock_guard lock(mutex_);
  if (shown_) out_ << "\r\033[K" << std::flush;
  shown_ = false;
}

void ProgressBar::draw_locked() {
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
  out_ << "\r\033[K" << render_progress(last_, elapsed) << std::flush;
  shown_ = true;
}

}  // namespace maintd::cli
