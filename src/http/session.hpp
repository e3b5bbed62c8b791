#pragma once
// One client connection of the admin server: reads requests (HTTP/1.1, keep-alive), hands each
// to the router and writes the answer. Internal to server.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "http/auth.hpp"
#include "http/request_parser.hpp"
#include "http/router.hpp"

namespace maintd::http {

struct SessionContext {
  const Router& router;
  const Auth& auth;
  std::size_t body_limit;
  std::chrono::seconds idle_timeout;
  // Where requests whose route may wait on the state database are handled (Router::may_wait):
  // never on the threads that read and write connections, so those always have a thread free
  // for the health probes.
  boost::asio::thread_pool::executor_type blocking;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, const SessionContext& context);
  void start();

 private:
  using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

  void read_header();
  void on_header(boost::beast::error_code error);
  void read_body();
  void on_body(boost::beast::error_code error);
  // Logs the answer to `request` and writes it (on the connection's strand).
  void respond(const Request& request, Response response, bool keep_alive);
  // Answers a request the parser refused (too large, malformed) and closes the connection.
  void refuse(unsigned status, const std::string& message);
  void write(Response response, bool keep_alive, bool head);
  void on_write(boost::beast::error_code error, bool keep_alive);
  // After refusing a request whose body is still arriving: stop sending, read and drop what
  // the client sends until it closes (so that it sees the answer, not a reset), then close.
  void drain();
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::shared_ptr<BeastResponse> response_;
  const SessionContext& context_;
  std::chrono::steady_clock::time_point started_;
};

// The router's answer, errors of handlers included: a store that is unavailable is a 503, any
// other exception a 500 (logged); never thrown.
Response handle(const SessionContext& context, Request& request);

}  // namespace maintd::http
