#pragma once
// Alerts: a run that failed, timed out or was abandoned, a task past its
// expect_success_within, and a task paused after repeated failures (pause_after_failures), sent
// where `notify:` says (webhooks: POST of the alert as JSON; a command: the alert as JSON on its
// stdin), at most one per task and kind within `min_interval`. Delivery happens off the caller's
// thread: raising an alert never waits on the network.
//
// Delivery runs on one worker thread of its own, started with the first alert. A webhook gets
// a POST over http or https (outbound::perform, with the webhook's `ca_file`) with Content-Type
// application/json and the configured headers; no answer within `timeout`, a refused
// connection, a 429 or a 5xx is tried again `retries` times after 1s, 2s, 4s, ... (at most 30s;
// a Retry-After is honoured up to 5 minutes); any other answer than 2xx fails at once (a 3xx
// too: a redirect is not followed). The command is started without a shell, the alert on its
// stdin, MAINTD_ALERT_KIND and MAINTD_ALERT_TASK in its environment, and its process group is
// killed after `command_timeout`. Each delivery that fails in the end is logged once at warning
// level (task, kind, where, why; never a header value nor the URL's path), each success at
// debug level.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "store/run_store.hpp"

namespace maintd::scheduler {

struct Alert {
  enum class Kind { failed, timed_out, abandoned, overdue, paused };
  Kind kind = Kind::failed;
  std::string task;
  std::optional<store::RunId> run;
  std::string message;  // one line: what happened
  Instant at{};         // empty: when it was raised
};
std::string_view to_string(Alert::Kind kind);

// What is sent: {"kind", "task", "run_id" (null without a run), "message", "at" (UTC
// ISO-8601), "host"}.
nlohmann::json alert_json(const Alert& alert, const std::string& host);

class Alerts {
 public:
  struct Options {
    std::function<Instant()> clock;  // what min_interval is measured with; empty: system clock
    std::string host;                // the "host" of the alerts; empty: this machine's name
    // Before webhook retry n: retry_backoff * 2^(n-1), at most max_retry_backoff.
    std::chrono::milliseconds retry_backoff{1000};
    std::chrono::milliseconds max_retry_backoff{30000};
    // Alerts waiting for delivery at most; more are dropped (and logged).
    std::size_t max_queued = 256;
  };
  // What happened to the alerts so far (each delivery is one alert to one webhook or command).
  struct Counts {
    std::uint64_t queued = 0;      // raise() accepted it
    std::uint64_t suppressed = 0;  // within min_interval of the task's last alert of that kind
    std::uint64_t dropped = 0;     // the queue was full, or maintd was stopping
    std::uint64_t delivered = 0;
    std::uint64_t failed = 0;  // after every attempt
  };

  Alerts();
  explicit Alerts(std::function<Instant()> clock);
  explicit Alerts(Options options);
  // Waits for the delivery in progress, if any (bounded by its timeout); a retry not yet due
  // and alerts still queued are not sent (each is logged).
  ~Alerts();
  Alerts(const Alerts&) = delete;
  Alerts& operator=(const Alerts&) = delete;

  // (Re)configures from `notify:` (start, reload). Nothing configured: raise() sends nothing.
  // What was sent before (for min_interval) is kept across a reload.
  void configure(const config::NotifySettings& settings);
  // Queues `alert` for delivery unless its kind is not in `on` or the task had an alert of that
  // kind within `min_interval`. Returns whether it was queued. Never blocks on delivery.
  bool raise(Alert alert);

  // Waits until every alert queued so far has been delivered or given up; false when `timeout`
  // passed first. For tests and tools; the daemon never needs it.
  bool wait_idle(std::chrono::milliseconds timeout);
  Counts counts() const;

 private:
  struct Configured;  // the settings, URLs taken apart
  struct Job {
    Alert alert;
    std::string body;  // alert_json()
    std::shared_ptr<const Configured> configured;
  };

  void work();
  void deliver(const Job& job);
  void deliver_webhook(const Job& job, std::size_t index);
  void deliver_command(const Job& job);
  // Sleeps `delay` unless stopping: false when stopping.
  bool pause(std::chrono::milliseconds delay);

  Options options_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::shared_ptr<const Configured> configured_;
  std::map<std::pair<std::string, Alert::Kind>, Instant> last_sent_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  Counts counts_;
  std::thread worker_;  // started by the first alert queued
};

}  // namespace maintd::scheduler
