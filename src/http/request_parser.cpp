// Reading one request off the wire (see request_parser.hpp).
#include "http/request_parser.hpp"

#include <cctype>
#include <string>

namespace maintd::http {
namespace {

namespace bhttp = boost::beast::http;

Method to_method(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::del;
    default:
      return Method::other;
  }
}

std::string lower(boost::beast::string_view text) {
  std::string out(text.data(), text.size());
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void apply_limits(RequestParser& parser, std::uint64_t body_limit) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
}

Request to_request(const BeastRequest& message) {
  Request request;
  request.method = to_method(message.method());
  set_target(request, std::string(message.target()));
  for (const auto& field : message) {
    std::string name = lower(field.name_string());
    std::string value(field.value());
    auto [it, inserted] = request.headers.try_emplace(name, value);
    if (!inserted) it->second += (name == "cookie" ? "; " : ", ") + value;
  }
  request.body = message.body();
  return request;
}

}  // namespace maintd::http
