// The admin HTTP server: listener, threads, start and stop (see server.hpp).
#include "http/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http/api.hpp"
#include "http/session.hpp"
#include "scheduler/daemon.hpp"
#include "service/service.hpp"

// The dashboard (another file family of this layer) adds its pages to the same router.
#include "http/dashboard.hpp"

namespace maintd::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// The endpoints the listen address names; loopback only if every one is.
std::vector<tcp::endpoint> resolve(asio::io_context& io, const std::string& listen) {
  const auto [host, port] = split_listen(listen);
  tcp::resolver resolver(io);
  boost::system::error_code error;
  const auto results = resolver.resolve(host, port, tcp::resolver::passive, error);
  if (error || results.empty()) {
    throw std::runtime_error(fmt::format("http.listen: cannot resolve '{}': {}", listen,
                                         error ? error.message() : "no address"));
  }
  std::vector<tcp::endpoint> out;
  for (const auto& entry : results) out.push_back(entry.endpoint());
  return out;
}

bool all_loopback(const std::vector<tcp::endpoint>& endpoints) {
  for (const auto& endpoint : endpoints) {
    if (!endpoint.address().is_loopback()) return false;
  }
  return true;
}

}  // namespace

std::pair<std::string, std::string> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw std::invalid_argument(
        fmt::format("http.listen: '{}' is not HOST:PORT (e.g. 127.0.0.1:8089)", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    throw std::invalid_argument(
        fmt::format("http.listen: '{}' is not HOST:PORT (e.g. 127.0.0.1:8089)", listen));
  }
  return {host, listen.substr(colon + 1)};
}

struct Server::Impl {
  Impl(scheduler::Daemon& served, const config::HttpSettings& settings, ServerOptions chosen)
      : service(served),
        options(chosen),
        listen(settings.listen ? *settings.listen
                               : throw std::invalid_argument("http.listen is not set")),
        endpoints(resolve(io, listen)),
        auth(settings, all_loopback(endpoints)),
        blocking(std::max<std::size_t>(1, options.threads)),
        context{router, auth, options.body_limit, options.idle_timeout, blocking.get_executor()} {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [this](boost::system::error_code error, tcp::socket socket) {
                            if (error == asio::error::operation_aborted || !acceptor.is_open())
                              return;
                            if (error) {
                              // Out of file descriptors, say: the listener keeps going.
                              spdlog::warn("HTTP API: accepting a connection: {}", error.message());
                            } else {
                              std::make_shared<Session>(std::move(socket), context)->start();
                            }
                            accept();
                          });
  }

  // What the routes call (they never reach the daemon's state database themselves).
  service::Service service;
  ServerOptions options;
  std::string listen;
  asio::io_context io;
  std::vector<tcp::endpoint> endpoints;
  Router router;
  Auth auth;
  // Handlers that may wait on the state database (SessionContext::blocking).
  asio::thread_pool blocking;
  SessionContext context;
  tcp::acceptor acceptor{io};
  tcp::endpoint bound;
  std::vector<std::thread> threads;
  std::mutex stop_mutex;
  bool started = false;
  bool stopped = false;
};

Server::Server(scheduler::Daemon& daemon, const config::HttpSettings& settings,
               ServerOptions options)
    : impl_(std::make_unique<Impl>(daemon, settings, options)) {
  auto phase = options.phase;
  if (!phase) phase = [&daemon] { return daemon.phase(); };
  impl_->router.hold_until([phase] { return phase() != scheduler::DaemonPhase::starting; });
  register_api(impl_->router, impl_->service, impl_->auth, phase);
  register_dashboard(impl_->router, impl_->service, impl_->auth);
}

Server::~Server() {
  stop();
}

void Server::start() {
  Impl& s = *impl_;
  const tcp::endpoint& endpoint = s.endpoints.front();
  boost::system::error_code error;
  auto fail = [&](const char* step) {
    throw std::runtime_error(fmt::format("cannot listen on {} for the HTTP API ({}): {}", s.listen,
                                         step, error.message()));
  };
  if (s.acceptor.open(endpoint.protocol(), error)) fail("socket");
  // A restarted daemon must not wait for the old connections' TIME_WAIT to end.
  if (s.acceptor.set_option(asio::socket_base::reuse_address(true), error)) fail("socket");
  if (s.acceptor.bind(endpoint, error)) fail("bind");
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, error)) fail("listen");
  s.bound = s.acceptor.local_endpoint();
  s.accept();
  s.started = true;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, s.options.threads); ++i) {
    s.threads.emplace_back([&s] {
      // An exception that escapes a handler leaves run(); the thread goes back in rather than
      // end the process (std::terminate): no request may take the daemon down. Handlers answer
      // their own failures (session.cpp); this is the net under them.
      for (;;) {
        try {
          s.io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("HTTP API: {}; the server goes on", e.what());
        } catch (...) {
          spdlog::error("HTTP API: an unknown exception; the server goes on");
        }
      }
    });
  }
  spdlog::info("HTTP API listening on {}", endpoint_text(s.bound));
  if (!s.auth.tokens_configured()) {
    spdlog::warn("HTTP API: no http.token is set; only this machine can reach it (loopback)");
  }
}

void Server::stop() {
  Impl& s = *impl_;
  const std::lock_guard lock(s.stop_mutex);
  if (s.stopped) return;
  s.stopped = true;
  // Requests being handled finish; nothing more is read or written (connections still open are
  // closed when the server is destroyed, with the handlers that own them).
  s.io.stop();
  for (auto& thread : s.threads) thread.join();
  // Handlers under way finish (their waits on the state database are bounded, and cut short at
  // shutdown); queued ones are dropped with their connections.
  s.blocking.stop();
  s.blocking.join();
  // No thread runs the io_context now: the listener can be closed from here.
  boost::system::error_code ignored;
  s.acceptor.close(ignored);
  s.threads.clear();
  if (s.started) spdlog::info("HTTP API stopped");
}

unsigned short Server::port() const {
  return impl_->bound.port();
}

std::string Server::address() const {
  return endpoint_text(impl_->bound);
}

Router& Server::router() {
  return impl_->router;
}

const Auth& Server::auth() const {
  return impl_->auth;
}

}  // namespace maintd::http
