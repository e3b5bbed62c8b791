#pragma once
// health.report's tcp probes: can maintd open a TCP connection to a service, how fast, and (for
// Redis) does the service answer PING? One blocking call with a deadline, on Boost.Asio, that a
// run's cancellation ends at once.
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

namespace maintd::handlers {

struct TcpCheck {
  std::string host;  // a name or an address
  std::uint16_t port = 0;
  // For the whole exchange: resolving, connecting, AUTH and PING.
  std::chrono::milliseconds timeout{5000};
  bool redis_ping = false;     // send PING, expect +PONG
  std::string redis_password;  // when not empty, AUTH first; never in a result or a message
};

// Why a check failed, as one word that reports and tests can match.
enum class TcpError {
  none,
  resolve,    // the host name has no address
  refused,    // nothing listens there (connection refused)
  connect,    // any other failure to connect (unreachable network, reset, ...)
  timeout,    // no connection or no answer before the deadline
  closed,     // the server closed the connection before it answered
  answer,     // the server answered something else than +OK / +PONG
  cancelled,  // the run was stopped
};
std::string_view to_string(TcpError error);

struct TcpResult {
  TcpError error = TcpError::none;
  std::string reason;   // what happened, for people (failures and successes alike)
  std::string address;  // the address:port connected to, once connected
  // Milliseconds, to a tenth: resolving and connecting; AUTH's and PING's round trips (0 when
  // not sent); start to finish.
  double connect_ms = 0;
  double auth_ms = 0;
  double ping_ms = 0;
  double total_ms = 0;
  bool ok() const { return error == TcpError::none; }
};

// Connects to check.host:check.port and, with redis_ping, sends AUTH (when a password is given)
// and PING. Never throws for what the network or the server does; never waits past
// check.timeout; returns `cancelled` as soon as `stop` is requested.
TcpResult check_tcp(const TcpCheck& check, std::stop_token stop);

}  // namespace maintd::handlers
