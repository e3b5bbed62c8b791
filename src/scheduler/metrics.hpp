#pragma once
// What the daemon counts while it runs, for `GET /metrics` (Prometheus text format 0.0.4).
//
// Counters and histograms live here, in the process: like every Prometheus exporter, each
// instance counts what it did itself (sum them across instances). What the state database knows
// better (the last success of each task, whatever instance ran it) is read at scrape time and
// passed in as a Scrape.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/pause_store.hpp"
#include "store/run_status.hpp"
#include "store/timestamp.hpp"

namespace maintd::scheduler {

// A cumulative histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bound, not cumulative
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // counts_[i]: observations in (bounds_[i-1], bounds_[i]]
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// The gauges read at scrape time.
struct Scrape {
  std::size_t tasks = 0;                                 // every task in the daemon's set
  std::size_t tasks_enabled = 0;                         // of which enabled
  std::size_t running = 0;                               // runs executing on this instance
  std::map<std::string, store::Timestamp> last_success;  // per task, from the state database
  std::vector<std::string> overdue;                      // tasks past their expect_success_within
  std::optional<store::PauseRecord> pause;  // the current pause, from the state database
};

class Metrics {
 public:
  // Run durations: 100 ms to 1 h. Lateness of a run's start after its slot: 5 ms to 1 min.
  static const std::vector<double>& duration_bounds();
  static const std::vector<double>& lateness_bounds();

  // Thread-safe: workers, the loop and the HTTP threads all call these.
  void run_finished(const std::string& task, store::RunStatus status,
                    std::chrono::milliseconds duration);
  void slot_started(std::chrono::milliseconds lateness);  // a schedule or catch-up run started
  void slot_skipped(const std::string& task);             // a slot recorded as skipped
  void run_abandoned(const std::string& task);            // this instance marked it abandoned

  // The whole exposition: counters, histograms and `scrape`'s gauges, each family with its
  // HELP and TYPE lines. Label values are escaped as the format requires.
  std::string render(const Scrape& scrape) const;

 private:
  mutable std::mutex mutex_;
  // (task, status) -> runs that ended so (skipped and abandoned included).
  std::map<std::pair<std::string, store::RunStatus>, std::uint64_t> runs_;
  std::map<std::string, Histogram> durations_;  // per task
  Histogram lateness_{lateness_bounds()};
};

}  // namespace maintd::scheduler
