// One connection of the admin server (see session.hpp).
#include "http/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "service/records.hpp"

namespace maintd::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// How long a refused client gets to stop sending before the connection is dropped.
constexpr std::chrono::seconds kDrainTime{5};

}  // namespace

Response handle(const SessionContext& context, Request& request) {
  try {
    context.auth.identify(request);
    return context.router.dispatch(request, &context.auth);
  } catch (const service::StoreUnavailable& e) {
    // Messages of store errors name the database, never its password (store_error.hpp).
    spdlog::warn("HTTP {} {}: {}", to_string(request.method), request.path, e.what());
    return error_response(503, std::string("the state database is unavailable: ") + e.what());
  } catch (const service::StoreError& e) {
    spdlog::error("HTTP {} {}: {}", to_string(request.method), request.path, e.what());
    return error_response(500, std::string("state database error: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("HTTP {} {}: {}", to_string(request.method), request.path, e.what());
    return error_response(500, "internal error (logged)");
  }
}

Session::Session(tcp::socket socket, const SessionContext& context)
    : stream_(std::move(socket)), context_(context) {}

void Session::start() {
  // On the connection's strand: every handler of this session runs there.
  boost::asio::dispatch(stream_.get_executor(),
                        [self = shared_from_this()] { self->read_header(); });
}

void Session::read_header() {
  parser_.emplace();
  apply_limits(*parser_, context_.body_limit);
  stream_.expires_after(context_.idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code error, std::size_t) {
                             self->on_header(error);
                           });
}

void Session::on_header(beast::error_code error) {
  if (error == bhttp::error::header_limit) return refuse(431, "request headers are too large");
  // A Content-Length over the limit is refused while the header is read.
  if (error == bhttp::error::body_limit) {
    return refuse(413,
                  fmt::format("the request body is larger than {} bytes", context_.body_limit));
  }
  if (error) {
    // A client that closed or went quiet between requests, or one that does not speak HTTP.
    if (error != bhttp::error::end_of_stream && error != beast::error::timeout &&
        error != boost::asio::error::operation_aborted &&
        error != boost::asio::error::connection_reset && error != bhttp::error::partial_message) {
      return refuse(400, "malformed request: " + error.message());
    }
    return close();
  }
  started_ = std::chrono::steady_clock::now();
  const auto length = parser_->content_length();
  if (length && *length > context_.body_limit) {
    return refuse(413,
                  fmt::format("the request body is larger than {} bytes", context_.body_limit));
  }
  const auto& header = parser_->get();
  if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, header.version()};
    beast::error_code ignored;
    bhttp::write(stream_, proceed, ignored);
  }
  read_body();
}

void Session::read_body() {
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_body(error); });
}

void Session::on_body(beast::error_code error) {
  if (error == bhttp::error::body_limit) {
    return refuse(413,
                  fmt::format("the request body is larger than {} bytes", context_.body_limit));
  }
  if (error) {
    if (error == beast::error::timeout || error == bhttp::error::end_of_stream ||
        error == bhttp::error::partial_message) {
      return close();
    }
    return refuse(400, "malformed request: " + error.message());
  }
  const auto& message = parser_->get();
  const bool keep_alive = message.keep_alive();
  auto request = std::make_shared<Request>(to_request(message));
  if (!context_.router.may_wait(*request)) {
    Response response = handle(context_, *request);
    return respond(*request, std::move(response), keep_alive);
  }
  // Nothing else happens on this connection meanwhile: the next read starts after the write.
  boost::asio::post(context_.blocking, [self = shared_from_this(), request, keep_alive] {
    Response response = handle(self->context_, *request);
    boost::asio::dispatch(self->stream_.get_executor(),
                          [self, request, keep_alive, response = std::move(response)]() mutable {
                            self->respond(*request, std::move(response), keep_alive);
                          });
  });
}

void Session::respond(const Request& request, Response response, bool keep_alive) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
  spdlog::debug("HTTP {} {} {} ({:.1f} ms)", to_string(request.method), request.path,
                response.status, static_cast<double>(elapsed.count()) / 1000.0);
  write(std::move(response), keep_alive, request.method == Method::head);
}

void Session::refuse(unsigned status, const std::string& message) {
  Response response = error_response(status, message);
  response_ = std::make_shared<BeastResponse>(static_cast<bhttp::status>(status), 11);
  response_->set(bhttp::field::content_type, response.content_type);
  response_->set(bhttp::field::connection, "close");
  response_->body() = std::move(response.body);
  response_->prepare_payload();
  stream_.expires_after(kDrainTime);
  bhttp::async_write(stream_, *response_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       if (error) return self->close();
                       self->drain();
                     });
}

void Session::drain() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  auto scratch = std::make_shared<std::array<char, 4096>>();
  stream_.async_read_some(boost::asio::buffer(*scratch), [self = shared_from_this(), scratch](
                                                             beast::error_code error, std::size_t) {
    // Until the client closes or kDrainTime (set in refuse) is over.
    if (error) return self->close();
    self->drain();
  });
}

void Session::write(Response response, bool keep_alive, bool head) {
  response_ = std::make_shared<BeastResponse>(static_cast<bhttp::status>(response.status), 11);
  response_->set(bhttp::field::server, "maintd");
  if (!response.content_type.empty()) {  // a 304 has no body, nor a type
    response_->set(bhttp::field::content_type, response.content_type);
  }
  // Answers carry tasks and runs, never meant for a shared cache (unless the route says
  // otherwise: the dashboard's compiled-in assets).
  response_->set(bhttp::field::cache_control, "no-store");
  response_->set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : response.headers) {
    // These replace the defaults above; other headers may repeat (Set-Cookie).
    if (beast::iequals(name, "Cache-Control") || beast::iequals(name, "X-Content-Type-Options")) {
      response_->set(name, value);
    } else {
      response_->insert(name, value);
    }
  }
  response_->body() = std::move(response.body);
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  if (head) {
    const auto size = response_->body().size();
    response_->body().clear();
    response_->content_length(size);
  }
  stream_.expires_after(context_.idle_timeout);
  bhttp::async_write(stream_, *response_,
                     [self = shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
                       self->on_write(error, keep_alive);
                     });
}

void Session::on_write(beast::error_code error, bool keep_alive) {
  if (error || !keep_alive) return close();
  read_header();
}

void Session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace maintd::http
