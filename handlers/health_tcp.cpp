#include "handlers/health_tcp.hpp"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <cmath>
#include <vector>

namespace maintd::handlers {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Steady = std::chrono::steady_clock;

// A Redis status line is a few bytes; anything longer without a line end is not Redis answering.
constexpr std::size_t kMaxAnswer = 512;
// How much of an unexpected answer a message quotes.
constexpr std::size_t kShownAnswer = 80;

double milliseconds_since(Steady::time_point start) {
  const std::chrono::duration<double, std::milli> took = Steady::now() - start;
  return std::round(took.count() * 10.0) / 10.0;
}

std::string duration_text(std::chrono::milliseconds duration) {
  return duration.count() % 1000 == 0 ? fmt::format("{}s", duration.count() / 1000)
                                      : fmt::format("{}ms", duration.count());
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// Redis's protocol as an array of bulk strings: any byte of the password travels as it is,
// where the inline form would split it at a space.
std::string resp_command(const std::vector<std::string_view>& words) {
  std::string out = fmt::format("*{}\r\n", words.size());
  for (const auto word : words) out += fmt::format("${}\r\n{}\r\n", word.size(), word);
  return out;
}

// An answer as a message may quote it: printable, short, and never the password (a server that
// echoes what it was sent must not make a report print it).
std::string shown_answer(std::string answer, const std::string& password) {
  if (!password.empty()) {
    for (auto at = answer.find(password); at != std::string::npos; at = answer.find(password)) {
      answer.replace(at, password.size(), "***");
    }
  }
  for (char& c : answer) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  if (answer.size() > kShownAnswer) answer = answer.substr(0, kShownAnswer) + "...";
  return answer;
}

// The io_context of one check, stopped from whichever thread requests the run's stop.
struct StopIo {
  asio::io_context* io;
  void operator()() const { io->stop(); }
};

// One check: each step is started, then the io_context runs until the step completes, the
// deadline passes or the run is stopped. A step that is abandoned never completes: its handler
// is destroyed, not run, with the io_context.
class Exchange {
 public:
  Exchange(const TcpCheck& check, std::stop_token stop)
      : check_(check),
        stop_(std::move(stop)),
        start_(Steady::now()),
        deadline_(start_ + check.timeout),
        on_stop_(stop_, StopIo{&io_}) {}

  TcpResult run() {
    std::vector<tcp::endpoint> endpoints;
    if (!resolve(endpoints)) return result_;
    if (!connect(endpoints)) return result_;
    if (check_.redis_ping) {
      if (!check_.redis_password.empty()) {
        const auto auth = resp_command({"AUTH", check_.redis_password});
        if (!ask("AUTH", auth, "+OK", result_.auth_ms)) return result_;
      }
      if (!ask("PING", "PING\r\n", "+PONG", result_.ping_ms)) return result_;
    }
    result_.total_ms = milliseconds_since(start_);
    result_.reason =
        check_.redis_ping
            ? fmt::format("{} answered PONG in {} ms", result_.address, result_.total_ms)
            : fmt::format("connected to {} in {} ms", result_.address, result_.total_ms);
    return result_;
  }

 private:
  // Runs the io_context until `done`. none, or why it stopped waiting (timeout, cancelled).
  TcpError wait(const bool& done) {
    io_.restart();
    // A stop requested before restart() stopped the io_context that restart() revived.
    if (stop_.stop_requested()) return TcpError::cancelled;
    while (!done) {
      if (io_.run_one_until(deadline_) == 0) {
        return stop_.stop_requested() ? TcpError::cancelled : TcpError::timeout;
      }
    }
    return TcpError::none;
  }

  bool fail(TcpError error, std::string reason) {
    result_.error = error;
    result_.reason = std::move(reason);
    return false;
  }

  // A timeout or a cancel while `doing`.
  bool gave_up(TcpError error, const std::string& doing) {
    if (error == TcpError::cancelled) return fail(error, fmt::format("stopped while {}", doing));
    return fail(error, fmt::format("{} took longer than the timeout ({})", doing,
                                   duration_text(check_.timeout)));
  }

  bool resolve(std::vector<tcp::endpoint>& endpoints) {
    error_code ec;
    const auto address = asio::ip::make_address(check_.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, check_.port);
      return true;
    }
    bool done = false;
    resolver_.async_resolve(check_.host, std::to_string(check_.port),
                            [&](const error_code& error, const tcp::resolver::results_type& found) {
                              ec = error;
                              for (const auto& entry : found) endpoints.push_back(entry.endpoint());
                              done = true;
                            });
    if (const auto why = wait(done); why != TcpError::none) {
      return gave_up(why, fmt::format("resolving '{}'", check_.host));
    }
    if (ec || endpoints.empty()) {
      return fail(TcpError::resolve, fmt::format("cannot resolve '{}': {}", check_.host,
                                                 ec ? ec.message() : std::string("no address")));
    }
    return true;
  }

  bool connect(const std::vector<tcp::endpoint>& endpoints) {
    bool done = false;
    error_code ec;
    tcp::endpoint connected;
    asio::async_connect(socket_, endpoints,
                        [&](const error_code& error, const tcp::endpoint& endpoint) {
                          ec = error;
                          connected = endpoint;
                          done = true;
                        });
    const auto target = fmt::format("{}:{}", check_.host, check_.port);
    if (const auto why = wait(done); why != TcpError::none) {
      return gave_up(why, fmt::format("connecting to {}", target));
    }
    if (ec == asio::error::connection_refused) {
      return fail(TcpError::refused, fmt::format("connection refused by {}", target));
    }
    if (ec)
      return fail(TcpError::connect, fmt::format("cannot connect to {}: {}", target, ec.message()));
    result_.connect_ms = milliseconds_since(start_);
    result_.address = endpoint_text(connected);
    return true;
  }

  // Sends `request` (named `command` in messages: never its text, which may hold a password) and
  // reads one line of answer, which must be `expected`.
  bool ask(const char* command, const std::string& request, std::string_view expected,
           double& took_ms) {
    const auto sent = Steady::now();
    bool done = false;
    error_code ec;
    std::size_t length = 0;
    asio::async_write(socket_, asio::buffer(request), [&](const error_code& error, std::size_t) {
      if (error) {
        ec = error;
        done = true;
        return;
      }
      asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, kMaxAnswer), "\r\n",
                             [&](const error_code& read_error, std::size_t n) {
                               ec = read_error;
                               length = n;
                               done = true;
                             });
    });
    if (const auto why = wait(done); why != TcpError::none) {
      return gave_up(why,
                     fmt::format("waiting for the answer to {} from {}", command, result_.address));
    }
    if (ec == asio::error::not_found) {
      return fail(TcpError::answer,
                  fmt::format("{} answered {} with no line end in its first {} bytes: not Redis?",
                              result_.address, command, kMaxAnswer));
    }
    if (ec) {
      return fail(
          TcpError::closed,
          fmt::format("{} closed the connection before answering {}{}", result_.address, command,
                      ec == asio::error::eof ? std::string() : fmt::format(" ({})", ec.message())));
    }
    const std::string answer = buffer_.substr(0, length - 2);
    buffer_.erase(0, length);
    took_ms = milliseconds_since(sent);
    if (answer == expected) return true;
    std::string hint;
    if (answer.starts_with("-NOAUTH")) {
      hint = check_.redis_password.empty() ? " (the server wants a password: redis_password)"
                                           : " (the password was not accepted)";
    }
    return fail(TcpError::answer,
                fmt::format("{} answered {} with '{}', not {}{}", result_.address, command,
                            shown_answer(answer, check_.redis_password), expected, hint));
  }

  const TcpCheck& check_;
  std::stop_token stop_;
  Steady::time_point start_;
  Steady::time_point deadline_;
  TcpResult result_;
  asio::io_context io_;
  tcp::resolver resolver_{io_};
  tcp::socket socket_{io_};
  std::string buffer_;
  // After io_, so destroyed before it: a stop requested while the check ends cannot reach an
  // io_context being destroyed (the callback's destructor waits for a running callback).
  std::stop_callback<StopIo> on_stop_;
};

}  // namespace

std::string_view to_string(TcpError error) {
  switch (error) {
    case TcpError::none:
      return "none";
    case TcpError::resolve:
      return "resolve";
    case TcpError::refused:
      return "refused";
    case TcpError::connect:
      return "connect";
    case TcpError::timeout:
      return "timeout";
    case TcpError::closed:
      return "closed";
    case TcpError::answer:
      return "answer";
    case TcpError::cancelled:
      return "cancelled";
  }
  return "?";
}

TcpResult check_tcp(const TcpCheck& check, std::stop_token stop) {
  Exchange exchange(check, std::move(stop));
  return exchange.run();
}

}  // namespace maintd::handlers
