#pragma once
// A small synchronous HTTP/1.1 client for the API tests (Boost.Beast): one request per
// connection by default, a Connection for keep-alive, and raw bytes for malformed requests.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace maintd::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A connection that stays open between requests (keep-alive).
class Connection {
 public:
  explicit Connection(unsigned short port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  HttpResult send(const std::string& method, const std::string& target,
                  const std::string& body = {}, const Headers& headers = {},
                  bool keep_alive = true) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    if (!body.empty() || method == "POST" || method == "PATCH") request.prepare_payload();
    request.keep_alive(keep_alive);
    http::write(socket_, request);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    http::read(socket_, buffer_, parser);
    const auto& response = parser.get();
    HttpResult result;
    result.status = response.result_int();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.headers[name] = std::string(field.value());
    }
    result.body = response.body();
    return result;
  }

  // Writes `bytes` as they are and reads until the server closes the connection.
  std::string raw(const std::string& bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
    std::string out;
    boost::system::error_code error;
    std::array<char, 4096> chunk{};
    for (;;) {
      const auto n = socket_.read_some(boost::asio::buffer(chunk), error);
      out.append(chunk.data(), n);
      if (error) break;
    }
    return out;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// One request on a connection of its own.
inline HttpResult http_request(unsigned short port, const std::string& method,
                               const std::string& target, const std::string& body = {},
                               const Headers& headers = {}) {
  Connection connection(port);
  return connection.send(method, target, body, headers, false);
}

}  // namespace maintd::testing
