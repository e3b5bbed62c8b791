#pragma once
// Services for health.report's tcp probes to reach: a listener on 127.0.0.1 on a port the kernel
// chose, whose thread serves each connection with a function of the test's, and a fake Redis.
//
//   FakeServer redis(fake_redis("s3cret"));   // AUTH s3cret, then PING -> +PONG
//   FakeServer silent(hold_silently());        // accepts, reads, never answers
//
// Each serve function blocks on its connection until the client closes it (a probe always does,
// when it returns), so the thread never outlives the test.
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace maintd::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

class FakeServer {
 public:
  using Serve = std::function<void(tcp::socket&)>;

  explicit FakeServer(Serve serve)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        serve_(std::move(serve)),
        thread_([this] { accept_each(); }) {}

  ~FakeServer() {
    stopping_ = true;
    // accept() does not watch a flag: a connection wakes it.
    boost::system::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  void accept_each() {
    while (true) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      ++accepted_;
      try {
        serve_(socket);
      } catch (const std::exception&) {
        // The client went away mid-answer: the next one is served all the same.
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Serve serve_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A port nothing listens on: one the kernel handed out a moment ago, closed again.
inline std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

inline std::string read_line(tcp::socket& socket, std::string& buffer) {
  const auto n = asio::read_until(socket, asio::dynamic_buffer(buffer), "\r\n");
  std::string line = buffer.substr(0, n - 2);
  buffer.erase(0, n);
  return line;
}

inline void answer(tcp::socket& socket, const std::string& line) {
  asio::write(socket, asio::buffer(line + "\r\n"));
}

// One Redis command, inline ("PING") or as an array of bulk strings ("*2\r\n$4\r\nAUTH...").
inline std::vector<std::string> read_command(tcp::socket& socket, std::string& buffer) {
  const auto line = read_line(socket, buffer);
  std::vector<std::string> words;
  if (line.starts_with("*")) {
    const int count = std::stoi(line.substr(1));
    for (int i = 0; i < count; ++i) {
      read_line(socket, buffer);  // $length
      words.push_back(read_line(socket, buffer));
    }
  } else {
    std::istringstream in(line);
    for (std::string word; in >> word;) words.push_back(word);
  }
  return words;
}

// Redis as a probe meets it: with `password` set, PING before a good AUTH is answered -NOAUTH.
inline FakeServer::Serve fake_redis(std::string password = {},
                                    std::chrono::milliseconds delay = {}) {
  return [password, delay](tcp::socket& socket) {
    std::string buffer;
    bool authenticated = password.empty();
    while (true) {
      const auto words = read_command(socket, buffer);
      std::this_thread::sleep_for(delay);
      if (!words.empty() && words[0] == "AUTH") {
        authenticated = words.size() == 2 && words[1] == password;
        answer(socket, authenticated
                           ? "+OK"
                           : "-WRONGPASS invalid username-password pair or user is disabled.");
      } else if (!words.empty() && words[0] == "PING") {
        answer(socket, authenticated ? "+PONG" : "-NOAUTH Authentication required.");
      } else {
        answer(socket, "-ERR unknown command");
      }
    }
  };
}

// Answers every line with `line`, whatever was asked.
inline FakeServer::Serve answering(std::string line) {
  return [line](tcp::socket& socket) {
    std::string buffer;
    while (true) {
      read_line(socket, buffer);
      answer(socket, line);
    }
  };
}

// Reads whatever comes and never answers, until the client hangs up; `on_accept` runs first.
inline FakeServer::Serve hold_silently(std::function<void()> on_accept = {}) {
  return [on_accept](tcp::socket& socket) {
    if (on_accept) on_accept();
    char byte = 0;
    boost::system::error_code ec;
    while (!ec) socket.read_some(asio::buffer(&byte, 1), ec);
  };
}

// Closes each connection at once.
inline FakeServer::Serve hang_up() {
  return [](tcp::socket& socket) { socket.close(); };
}

}  // namespace maintd::testing
