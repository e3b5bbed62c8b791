#include "store/connection_watchdog.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace maintd::store {

struct ConnectionWatchdog::Entry {
  int fd = -1;  // our duplicate: closed when the watch ends
  const void* group = nullptr;
  std::chrono::milliseconds limit{0};
  Clock::time_point deadline;
  Clock::time_point cut = Clock::time_point::max();  // never past this, renewed or not
  bool fired = false;
};

ConnectionWatchdog& ConnectionWatchdog::instance() {
  // Never destroyed: a Watch may end during static destruction (a Database held by a static),
  // and the thread only ever sleeps or shuts sockets down, which exit() does not mind.
  static ConnectionWatchdog* const watchdog = new ConnectionWatchdog;
  return *watchdog;
}

ConnectionWatchdog::~ConnectionWatchdog() = default;

ConnectionWatchdog::Watch ConnectionWatchdog::watch(int fd, std::chrono::milliseconds limit,
                                                    const void* group) {
  if (fd < 0 || limit.count() <= 0) return {};
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return {};
  auto entry = std::make_shared<Entry>();
  entry->fd = copy;
  entry->group = group;
  entry->limit = limit;
  entry->deadline = Clock::now() + limit;
  {
    std::lock_guard lock(mutex_);
    entries_.push_back(entry);
    earlier_ = true;
    if (!thread_.joinable()) {
      thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
    }
  }
  changed_.notify_all();
  return Watch(std::move(entry));
}

void ConnectionWatchdog::cut_group(const void* group, Clock::time_point at) {
  {
    std::lock_guard lock(mutex_);
    for (auto& entry : entries_) {
      if (entry->group != group) continue;
      entry->cut = std::min(entry->cut, at);
      entry->deadline = std::min(entry->deadline, at);
    }
    earlier_ = true;
  }
  changed_.notify_all();
}

void ConnectionWatchdog::end(Entry& entry) {
  std::lock_guard lock(mutex_);
  if (entry.fd >= 0) ::close(entry.fd);
  entry.fd = -1;
  std::erase_if(entries_, [&](const auto& e) { return e.get() == &entry; });
}

void ConnectionWatchdog::renew(Entry& entry) {
  // Later than before: the thread finds out when it wakes for the old deadline.
  std::lock_guard lock(mutex_);
  if (!entry.fired) entry.deadline = std::min(Clock::now() + entry.limit, entry.cut);
}

void ConnectionWatchdog::cut(Entry& entry, Clock::time_point at) {
  {
    std::lock_guard lock(mutex_);
    entry.cut = std::min(entry.cut, at);
    entry.deadline = std::min(entry.deadline, at);
    earlier_ = true;
  }
  changed_.notify_all();
}

void ConnectionWatchdog::loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    earlier_ = false;
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto& entry : entries_) {
      if (entry->fired) continue;
      if (entry->deadline <= now) {
        // The blocked call (recv, poll) returns: end of stream, or an error on the next send.
        ::shutdown(entry->fd, SHUT_RDWR);
        entry->fired = true;
      } else {
        next = std::min(next, entry->deadline);
      }
    }
    // Woken early by a deadline that may now come first (a new watch, a cut); a notify alone
    // would not do: these waits return only when their predicate holds.
    if (next == Clock::time_point::max()) {
      changed_.wait(lock, stop, [this] { return earlier_; });
    } else {
      changed_.wait_until(lock, stop, next, [this] { return earlier_; });
    }
  }
}

ConnectionWatchdog::Watch::~Watch() {
  reset();
}

ConnectionWatchdog::Watch::Watch(Watch&& other) noexcept : entry_(std::move(other.entry_)) {}

ConnectionWatchdog::Watch& ConnectionWatchdog::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    reset();
    entry_ = std::move(other.entry_);
  }
  return *this;
}

void ConnectionWatchdog::Watch::reset() {
  if (entry_) ConnectionWatchdog::instance().end(*entry_);
  entry_.reset();
}

void ConnectionWatchdog::Watch::renew() {
  if (entry_) ConnectionWatchdog::instance().renew(*entry_);
}

void ConnectionWatchdog::Watch::cut_by(Clock::time_point at) {
  if (entry_) ConnectionWatchdog::instance().cut(*entry_, at);
}

bool ConnectionWatchdog::Watch::fired() const {
  if (!entry_) return false;
  std::lock_guard lock(ConnectionWatchdog::instance().mutex_);
  return entry_->fired;
}

std::chrono::milliseconds ConnectionWatchdog::Watch::limit() const {
  return entry_ ? entry_->limit : std::chrono::milliseconds(0);
}

}  // namespace maintd::store
