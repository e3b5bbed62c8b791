#pragma once
// A local HTTP(S) server for the outbound client's tests (the client itself, http.request,
// webhook alerts, health.report's http probes, the CLI): Boost.Beast over Asio's OpenSSL streams,
// on 127.0.0.1 and a port the kernel chose, on a thread of its own, answering each request with
// what the test's handler says, and recording every request.
//
//   TestHttpServer server(TestHttpServer::Tls::server, replies({{503}, {200, {}, "done"}}));
//   outbound::Settings settings;
//   settings.ca_file = test_certificates().ca.string();
//   perform({.url = server.url("/x")}, settings);
//
// The certificates are made once per test process by the openssl command line (a CA, a server
// certificate for 127.0.0.1 and localhost, a client certificate for mutual TLS) into a
// directory removed at exit. Every connection answers one request and closes.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace maintd::testing {

struct TestCertificates {
  std::filesystem::path ca;  // PEM: give it as ca_file to trust the server
  std::filesystem::path server_cert, server_key;
  std::filesystem::path client_cert, client_key;  // signed by `ca`: mutual TLS
};
// Made on first use, once per process.
const TestCertificates& test_certificates();

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct TestReply {
  TestReply(unsigned status_ = 200, std::vector<std::pair<std::string, std::string>> headers_ = {},
            std::string body_ = {}, bool hang_ = false)
      : status(status_), headers(std::move(headers_)), body(std::move(body_)), hang(hang_) {}
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool hang = false;  // read the request and never answer (until the server stops)
};

class TestHttpServer {
 public:
  enum class Tls {
    none,    // plain HTTP
    server,  // HTTPS with the test CA's server certificate
    mutual,  // HTTPS that asks for, and requires, a client certificate of the test CA
  };
  // The reply to the index-th request (0-based).
  using Handler = std::function<TestReply(const TestRequest& request, std::size_t index)>;

  explicit TestHttpServer(Tls tls = Tls::server, Handler handler = {});
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const;
  // "https://127.0.0.1:PORT/target" (http:// without TLS).
  std::string url(std::string_view target = "/") const;
  std::vector<TestRequest> requests() const;
  // Waits until `count` requests came in; false after `limit` (a broken test cannot hang).
  bool wait_for(std::size_t count, std::chrono::milliseconds limit = std::chrono::seconds(10));
  // TLS handshakes that failed (a client that does not trust the server, or has no certificate).
  int failed_handshakes() const;

  struct State;  // the io_context, its thread and what it recorded (http_test_server.cpp)

 private:
  std::unique_ptr<State> state_;
};

// A handler answering with `replies` in order, then 200 "ok" to every further request.
TestHttpServer::Handler replies(std::vector<TestReply> replies);

// A port on 127.0.0.1 that nothing listens on: one the kernel handed out a moment ago, closed.
std::uint16_t unused_port();

}  // namespace maintd::testing
