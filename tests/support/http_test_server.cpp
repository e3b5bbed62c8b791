#include "support/http_test_server.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "support/temp_dir.hpp"

namespace maintd::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

void run_openssl(const std::string& arguments) {
  const std::string command = "openssl " + arguments + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("test certificates: failed: " + command);
  }
}

std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

}  // namespace

const TestCertificates& test_certificates() {
  // The directory lives as long as the process; the certificates for two days.
  static const TempDir dir;
  static const TestCertificates certificates = [] {
    TestCertificates made;
    const auto& at = dir.path();
    made.ca = at / "ca.pem";
    made.server_cert = at / "server.pem";
    made.server_key = at / "server.key";
    made.client_cert = at / "client.pem";
    made.client_key = at / "client.key";
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2";
    const std::string signed_by_ca = "-CA " + quoted(made.ca) + " -CAkey " + quoted(at / "ca.key") +
                                     " -addext basicConstraints=critical,CA:FALSE";
    run_openssl("req -x509 " + key + " -keyout " + quoted(at / "ca.key") + " -out " +
                quoted(made.ca) + " -subj /CN=maintd-test-ca");
    run_openssl("req -x509 " + signed_by_ca + " " + key + " -keyout " + quoted(made.server_key) +
                " -out " + quoted(made.server_cert) +
                " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost");
    run_openssl("req -x509 " + signed_by_ca + " " + key + " -keyout " + quoted(made.client_key) +
                " -out " + quoted(made.client_cert) +
                " -subj /CN=maintd-test-client -addext extendedKeyUsage=clientAuth");
    return made;
  }();
  return certificates;
}

TestHttpServer::Handler replies(std::vector<TestReply> replies) {
  return [replies = std::move(replies)](const TestRequest&, std::size_t index) {
    if (index < replies.size()) return replies[index];
    return TestReply{200, {}, "ok"};
  };
}

std::uint16_t unused_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// ---------------------------------------------------------------------------------------------
// The server: an io_context on its own thread; each connection a Session that reads one
// request, answers it (or holds it, unanswered) and closes.

struct TestHttpServer::State {
  Tls tls;
  Handler handler;
  asio::io_context io;
  ssl::context context{ssl::context::tls_server};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread;

  mutable std::mutex mutex;  // guards what follows
  std::condition_variable arrived;
  std::vector<TestRequest> requests;
  int failed_handshakes = 0;
  // Connections held unanswered (TestReply::hang), kept open until the server stops; touched
  // on the io thread only.
  std::vector<std::shared_ptr<void>> held;

  void accept();
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(TestHttpServer::State& state, Stream stream)
      : state_(state), stream_(std::move(stream)) {}

  void start() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      read();
    } else {
      auto self = this->shared_from_this();
      stream_.async_handshake(ssl::stream_base::server, [self](const error_code& failed) {
        if (failed) {
          std::lock_guard lock(self->state_.mutex);
          ++self->state_.failed_handshakes;
          return;
        }
        self->read();
      });
    }
  }

 private:
  void read() {
    auto self = this->shared_from_this();
    request_.body_limit(64 * 1024 * 1024);
    http::async_read(stream_, buffer_, request_, [self](const error_code& failed, std::size_t) {
      if (!failed) self->answer();
    });
  }

  void answer() {
    const auto& message = request_.get();
    TestRequest recorded{
        std::string(message.method_string()), std::string(message.target()), {}, message.body()};
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      recorded.headers[name] = std::string(field.value());
    }
    std::size_t index = 0;
    {
      std::lock_guard lock(state_.mutex);
      index = state_.requests.size();
      state_.requests.push_back(recorded);
    }
    state_.arrived.notify_all();
    const TestReply reply =
        state_.handler ? state_.handler(recorded, index) : TestReply{200, {}, "ok"};
    if (reply.hang) {
      state_.held.push_back(this->shared_from_this());
      return;
    }
    response_.result(reply.status);
    response_.version(11);
    for (const auto& [name, value] : reply.headers) response_.set(name, value);
    response_.set(http::field::connection, "close");
    response_.body() = reply.body;
    response_.prepare_payload();
    auto self = this->shared_from_this();
    http::async_write(stream_, response_, [self](const error_code&, std::size_t) {
      error_code ignored;
      beast::get_lowest_layer(self->stream_).shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(self->stream_).close(ignored);
    });
  }

  TestHttpServer::State& state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

void TestHttpServer::State::accept() {
  acceptor.async_accept([this](const error_code& failed, tcp::socket socket) {
    if (failed) return;  // the server stops
    if (tls == Tls::none) {
      std::make_shared<Session<tcp::socket>>(*this, std::move(socket))->start();
    } else {
      std::make_shared<Session<ssl::stream<tcp::socket>>>(
          *this, ssl::stream<tcp::socket>(std::move(socket), context))
          ->start();
    }
    accept();
  });
}

TestHttpServer::TestHttpServer(Tls tls, Handler handler) : state_(std::make_unique<State>()) {
  state_->tls = tls;
  state_->handler = std::move(handler);
  if (tls != Tls::none) {
    const auto& certificates = test_certificates();
    state_->context.use_certificate_chain_file(certificates.server_cert.string());
    state_->context.use_private_key_file(certificates.server_key.string(), ssl::context::pem);
    if (tls == Tls::mutual) {
      state_->context.load_verify_file(certificates.ca.string());
      state_->context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  state_->accept();
  state_->thread = std::thread([state = state_.get()] { state->io.run(); });
}

TestHttpServer::~TestHttpServer() {
  state_->io.stop();
  state_->thread.join();
}

std::uint16_t TestHttpServer::port() const {
  return state_->acceptor.local_endpoint().port();
}

std::string TestHttpServer::url(std::string_view target) const {
  return std::string(state_->tls == Tls::none ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port()) + std::string(target);
}

std::vector<TestRequest> TestHttpServer::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

bool TestHttpServer::wait_for(std::size_t count, std::chrono::milliseconds limit) {
  std::unique_lock lock(state_->mutex);
  return state_->arrived.wait_for(lock, limit, [&] { return state_->requests.size() >= count; });
}

int TestHttpServer::failed_handshakes() const {
  std::lock_guard lock(state_->mutex);
  return state_->failed_handshakes;
}

}  // namespace maintd::testing
