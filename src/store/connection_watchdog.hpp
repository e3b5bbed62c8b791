#pragma once
// The client's side of every bound on a wait for a PostgreSQL server.
//
// libpq's calls block until the server answers. A server that cannot answer any more (its
// processes stopped, its host hung, the network between cut) leaves them waiting for ever: its
// own statement_timeout cannot fire, a live kernel answers TCP keepalives for a stopped process,
// and a unix socket has no TCP at all. So maintd watches each connection while it waits on it:
// when the limit passes, the watchdog shuts the connection's socket down (shutdown(2) on a
// duplicate of libpq's descriptor, so the descriptor number can never belong to anything else by
// then), and the blocked call returns at once with a lost connection. The caller asks fired()
// and reports the timeout it was.
//
// One thread for the process, started on first use; watches are cheap (a dup and a close).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace maintd::store {

class ConnectionWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  struct Entry;

  static ConnectionWatchdog& instance();

  // A connection being watched. Ends (and leaves the socket alone) when destroyed.
  class Watch {
   public:
    Watch() = default;
    ~Watch();
    Watch(Watch&& other) noexcept;
    Watch& operator=(Watch&& other) noexcept;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    explicit operator bool() const { return entry_ != nullptr; }
    // Counts the limit again from now (the server answered; something new is asked), but never
    // past a cut_by() time.
    void renew();
    // The socket is shut down at `at` at the latest.
    void cut_by(Clock::time_point at);
    // Whether the limit passed and the socket was shut down.
    bool fired() const;
    std::chrono::milliseconds limit() const;

   private:
    friend class ConnectionWatchdog;
    explicit Watch(std::shared_ptr<Entry> entry) : entry_(std::move(entry)) {}
    void reset();
    std::shared_ptr<Entry> entry_;
  };

  // Watches the socket `fd` (libpq's PQsocket) for `limit` from now. `group` tags the watch for
  // cut_group() (a Database, say). An inactive Watch when fd < 0, the limit is not positive or
  // the descriptor cannot be duplicated.
  Watch watch(int fd, std::chrono::milliseconds limit, const void* group = nullptr);

  // Every watch of `group` shuts its socket down at `at` at the latest.
  void cut_group(const void* group, Clock::time_point at);

  ~ConnectionWatchdog();
  ConnectionWatchdog(const ConnectionWatchdog&) = delete;
  ConnectionWatchdog& operator=(const ConnectionWatchdog&) = delete;

 private:
  ConnectionWatchdog() = default;
  void loop(std::stop_token stop);
  void end(Entry& entry);
  void renew(Entry& entry);
  void cut(Entry& entry, Clock::time_point at);

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<std::shared_ptr<Entry>> entries_;
  bool earlier_ = false;  // a deadline was added or moved earlier since the loop last looked
  std::jthread thread_;   // started by the first watch()
};

}  // namespace maintd::store
