#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "albatross/admin/admin_handler.hpp"
#include "albatross/common/host_port.hpp"

namespace albatross::admin {

// The admin endpoint on `global.admin` (loopback by default):
//   GET  /metrics            Prometheus text format
//   GET  /ping               albatross's own liveness
//   GET  /status             JSON: listeners, target groups, targets with state and reason
//   POST /reload             same as SIGHUP; 200 or 500 with the reason
//   POST /targets/drain      ?target_group=G&target=HOST:PORT (or the same as a form body)
//   POST /targets/activate   undo a drain
// State-changing calls need `Authorization: Bearer <token>` when a token file is configured;
// without one they are accepted only from loopback peers. Small bounded requests, one at a
// time per connection, every step under a deadline. Thread: the control io_context.
class AdminServer {
 public:
  AdminServer(boost::asio::io_context& control, AdminHandler& handler);
  ~AdminServer();

  // Binds and starts serving; false with `error` set when the address cannot be bound.
  bool start(const HostPort& address, std::optional<std::string> token, std::string& error);
  // Replaces the bearer token (a reload re-read the token file).
  void set_token(std::optional<std::string> token);
  void stop();
  std::uint16_t port() const { return port_; }
  const std::string& bound_address() const { return bound_; }

  struct State;  // shared with the connection coroutines, which may outlive a stop()

 private:
  boost::asio::io_context& control_;
  AdminHandler& handler_;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::string bound_;
};

// Reads a bearer token file: the first line, trimmed. Refuses a missing/empty file and one
// readable by group or others.
std::optional<std::string> load_token_file(const std::string& path, std::string& error);

}  // namespace albatross::admin
