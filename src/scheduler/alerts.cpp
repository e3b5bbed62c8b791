#include "scheduler/alerts.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "common/child_run.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "common/process.hpp"
#include "common/program_lookup.hpp"
#include "outbound/client.hpp"
#include "outbound/url.hpp"
#include "scheduler/loop_guard.hpp"

namespace maintd::scheduler {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string this_host() {
  std::array<char, 256> name{};
  return ::gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data()) : "unknown";
}

// "https://host:port": where a webhook is, as logs show it. Not the path: it may hold a token.
std::string webhook_origin(const std::string& url) {
  const auto parsed = outbound::parse_url(url);
  return parsed ? parsed->origin : outbound::mask_url(url);
}

// Text a peer sent, fit for one log line.
std::string printable(std::string_view text, std::size_t limit = 100) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    out += static_cast<unsigned char>(c) < ' ' || c == 0x7f ? '?' : c;
  }
  if (text.size() > limit) out += "...";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The command (process::run_child): the alert on its stdin, its process group killed at the
// deadline.

// Empty when the command exited with status 0; otherwise why it failed.
std::optional<std::string> run_command(const std::vector<std::string>& argv,
                                       const std::string& input, const Alert& alert,
                                       std::chrono::seconds timeout) {
  process::ChildSpec spec;
  spec.argv = argv;
  for (auto& entry : process::current_environment()) {
    if (!entry.starts_with("MAINTD_ALERT_KIND=") && !entry.starts_with("MAINTD_ALERT_TASK=")) {
      spec.environment.push_back(std::move(entry));
    }
  }
  spec.environment.push_back(fmt::format("MAINTD_ALERT_KIND={}", to_string(alert.kind)));
  spec.environment.push_back(fmt::format("MAINTD_ALERT_TASK={}", alert.task));
  auto program = process::find_program(argv.front(), process::path_variable(spec.environment),
                                       std::filesystem::current_path());
  if (!program) {
    return fmt::format("program '{}' {}", argv.front(),
                       program.error().kind == process::LookupFailure::Kind::not_in_path
                           ? "not found in PATH"
                           : "does not exist or is not executable");
  }
  spec.program = std::move(program).value();
  spec.input = input;
  // The last line it writes on stderr says why it failed, most likely.
  std::string last;
  spec.on_stderr = [&](std::string_view line, bool) {
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) last = line;
  };
  spec.max_line_length = 4096;
  spec.deadline = Steady::now() + timeout;
  const auto exit = process::run_child(spec);
  if (!exit) return exit.error().message(spec.program);
  if (exit->stop == process::ChildExit::Stop::deadline) {
    return fmt::format("killed: still running after {} (notify.command_timeout)",
                       format_duration(timeout));
  }
  if (exit->succeeded()) return std::nullopt;
  const std::string reason = printable(last, 200);
  return reason.empty() ? exit->outcome() : fmt::format("{}: {}", exit->outcome(), reason);
}

}  // namespace

std::string_view to_string(Alert::Kind kind) {
  switch (kind) {
    case Alert::Kind::failed:
      return "failed";
    case Alert::Kind::timed_out:
      return "timed_out";
    case Alert::Kind::abandoned:
      return "abandoned";
    case Alert::Kind::overdue:
      return "overdue";
    case Alert::Kind::paused:
      return "paused";
  }
  return "failed";
}

nlohmann::json alert_json(const Alert& alert, const std::string& host) {
  return {{"kind", to_string(alert.kind)},
          {"task", alert.task},
          {"run_id", alert.run ? nlohmann::json(*alert.run) : nlohmann::json(nullptr)},
          {"message", alert.message},
          {"at", format_utc(alert.at)},
          {"host", host}};
}

struct Alerts::Configured {
  config::NotifySettings settings;
  // Why each webhook's URL cannot be used, if it cannot (the reader rejects such a URL; a
  // configuration built in code may still hold one).
  std::vector<std::optional<std::string>> problems;

  bool sends(Alert::Kind kind) const {
    if (settings.webhooks.empty() && settings.command.empty()) return false;
    return std::find(settings.on.begin(), settings.on.end(), to_string(kind)) != settings.on.end();
  }
};

Alerts::Alerts() : Alerts(Options{}) {}

Alerts::Alerts(std::function<Instant()> clock)
    : Alerts([&] {
        Options options;
        options.clock = std::move(clock);
        return options;
      }()) {}

Alerts::Alerts(Options options) : options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] {
      return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    };
  }
  if (options_.host.empty()) options_.host = this_host();
}

Alerts::~Alerts() {
  std::deque<Job> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
    counts_.dropped += left.size();
  }
  wake_.notify_all();
  for (const Job& job : left) {
    spdlog::warn("alert {} for task '{}' not sent: maintd is stopping", to_string(job.alert.kind),
                 job.alert.task);
  }
  if (worker_.joinable()) worker_.join();
}

void Alerts::configure(const config::NotifySettings& settings) {
  auto configured = std::make_shared<Configured>();
  configured->settings = settings;
  for (const auto& webhook : settings.webhooks) {
    configured->problems.push_back(config::webhook_url_problem(webhook.url));
  }
  std::lock_guard lock(mutex_);
  configured_ = std::move(configured);
}

bool Alerts::raise(Alert alert) {
  std::unique_lock lock(mutex_);
  if (!configured_ || !configured_->sends(alert.kind) || stopping_) return false;
  const Instant now = options_.clock();
  const auto key = std::make_pair(alert.task, alert.kind);
  const auto min_interval = configured_->settings.min_interval;
  if (auto it = last_sent_.find(key); it != last_sent_.end() && now - it->second < min_interval) {
    ++counts_.suppressed;
    const auto ago = now - it->second;
    lock.unlock();
    spdlog::debug("alert {} for task '{}' not sent: one was sent {} ago (notify.min_interval {})",
                  to_string(alert.kind), alert.task, format_duration(ago),
                  format_duration(min_interval));
    return false;
  }
  if (queue_.size() >= options_.max_queued) {
    ++counts_.dropped;
    const auto waiting = queue_.size();
    lock.unlock();
    spdlog::warn("alert {} for task '{}' not sent: {} alerts are waiting for delivery already",
                 to_string(alert.kind), alert.task, waiting);
    return false;
  }
  last_sent_[key] = now;
  if (last_sent_.size() > 4096) {
    // Forget what no longer limits anything.
    std::erase_if(last_sent_,
                  [&](const auto& entry) { return now - entry.second >= min_interval; });
  }
  if (alert.at == Instant{}) alert.at = now;
  std::string body = json_text(alert_json(alert, options_.host));
  queue_.push_back(Job{std::move(alert), std::move(body), configured_});
  ++counts_.queued;
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
  lock.unlock();
  wake_.notify_one();
  return true;
}

bool Alerts::wait_idle(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

Alerts::Counts Alerts::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void Alerts::work() {
  // A command that exits without reading its stdin is no danger here: process::run_child holds
  // SIGPIPE off the thread while it writes.
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    // Delivery catches what it expects; anything else is logged, and the next alert goes.
    guard_step("delivering an alert for task '" + job.alert.task + "'", [&] { deliver(job); });
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  busy_ = false;
  idle_.notify_all();
}

bool Alerts::pause(milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

void Alerts::deliver(const Job& job) {
  for (std::size_t i = 0; i < job.configured->settings.webhooks.size(); ++i) {
    deliver_webhook(job, i);
  }
  if (!job.configured->settings.command.empty()) deliver_command(job);
}

void Alerts::deliver_webhook(const Job& job, std::size_t index) {
  const config::WebhookSettings& webhook = job.configured->settings.webhooks[index];
  const auto& problem = job.configured->problems[index];
  const auto kind = to_string(job.alert.kind);
  auto record = [&](bool ok) {
    std::lock_guard lock(mutex_);
    ++(ok ? counts_.delivered : counts_.failed);
  };
  if (problem) {
    record(false);
    spdlog::warn("alert {} for task '{}' not delivered to webhook #{}: {}", kind, job.alert.task,
                 index + 1, *problem);
    return;
  }
  const std::string where = webhook_origin(webhook.url);

  outbound::Request request;
  request.method = "POST";
  request.url = webhook.url;
  request.headers.assign(webhook.headers.begin(), webhook.headers.end());
  request.body = job.body;
  request.content_type = "application/json";
  outbound::Settings settings;
  settings.timeout = webhook.timeout;
  settings.attempts = 1 + std::max(webhook.retries, 0);
  settings.backoff = options_.retry_backoff;
  settings.max_backoff = options_.max_retry_backoff;
  // A duplicate alert is better than a lost one.
  settings.retry_unanswered = true;
  settings.ca_file = webhook.ca_file;
  // A redirect after a POST would be followed with a GET, without the alert: a 3xx fails.
  settings.max_redirects = 0;
  settings.max_response_bytes = 4096;  // the status is all that matters
  // The attempt in progress runs to its timeout when maintd stops (an alert raised during
  // shutdown still goes out); a wait before the next one does not.
  outbound::Control control;
  std::string last_reason;
  control.on_retry = [&](const outbound::RetryNotice& notice) {
    last_reason = notice.reason;
    spdlog::debug("alert {} for task '{}': webhook {} failed ({}); trying again in {} ms", kind,
                  job.alert.task, where, notice.reason, notice.wait.count());
  };
  control.wait = [this](milliseconds delay) { return pause(delay); };

  std::string outcome;
  bool delivered = false;
  try {
    const auto response = outbound::perform(request, settings, control);
    if (!response) {
      const auto& failure = response.error();
      outcome =
          failure.kind == outbound::Failure::Kind::cancelled
              ? fmt::format("{}; not tried again: maintd is stopping ({})", last_reason,
                            outbound::attempts_text(failure.attempts))
              : fmt::format("{} ({})", failure.reason, outbound::attempts_text(failure.attempts));
    } else if (response->expected) {
      delivered = true;
      outcome = response->status_text();
    } else {
      outcome = fmt::format("{}{} ({})", response->status_text(),
                            response->not_retried.empty() ? "" : "; " + response->not_retried,
                            outbound::attempts_text(response->attempts));
    }
  } catch (const std::exception& e) {
    outcome = e.what();
  }
  record(delivered);
  if (delivered) {
    spdlog::debug("alert {} for task '{}' delivered to webhook {} ({})", kind, job.alert.task,
                  where, outcome);
  } else {
    spdlog::warn("alert {} for task '{}' not delivered to webhook {}: {}", kind, job.alert.task,
                 where, outcome);
  }
}

void Alerts::deliver_command(const Job& job) {
  const auto& settings = job.configured->settings;
  const auto kind = to_string(job.alert.kind);
  // The program alone: its arguments may hold a secret.
  const std::string& program = settings.command.front();
  std::optional<std::string> problem;
  try {
    problem = run_command(settings.command, job.body, job.alert, settings.command_timeout);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  {
    std::lock_guard lock(mutex_);
    ++(problem ? counts_.failed : counts_.delivered);
  }
  if (problem) {
    spdlog::warn("alert {} for task '{}' not delivered to command {}: {}", kind, job.alert.task,
                 program, *problem);
  } else {
    spdlog::debug("alert {} for task '{}' delivered to command {}", kind, job.alert.task, program);
  }
}

}  // namespace maintd::scheduler
