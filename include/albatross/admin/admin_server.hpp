#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "albatross/admin/admin_handler.hpp"
#include "albatross/common/host_port.hpp"
#include "albatross/metrics/family.hpp"

namespace albatross::admin {

// The admin endpoint on `global.admin` (loopback by default):
//   GET  /                   the dashboard (with /app.js and /app.css), compiled in
//   GET  /metrics            Prometheus text format
//   GET  /ping               albatross's own liveness
//   GET  /status             JSON: listeners, target groups, targets with state and reason
//   POST /reload             same as SIGHUP; 200 or 500 with the reason
//   POST /targets/drain      ?target_group=G&target=HOST:PORT (or the same as a form body)
//   POST /targets/activate   undo a drain
// Every request passes AdminRequestGuard first (Host pinning, methods, Origin for state
// changes); every response carries CSP, nosniff, no-referrer and no-store, and none carries
// CORS headers. State-changing calls need `Authorization: Bearer <token>` when a token file is
// configured; without one they are accepted only from loopback peers. Refusals are counted in
// `refused` by reason and logged at most once per reason per 10 s. Small bounded requests, one
// at a time per connection, every step under a deadline. Thread: the control io_context.
class AdminServer {
 public:
  // `refused`: albatross_admin_requests_refused_total (nullptr: refusals are not counted).
  AdminServer(boost::asio::io_context& control, AdminHandler& handler,
              metrics::Family<metrics::Counter>* refused);
  ~AdminServer();

  // Binds and starts serving; false with `error` set when the address cannot be bound.
  // `allowed_hosts`: global.admin_allowed_hosts.
  bool start(const HostPort& address, std::optional<std::string> token,
             std::vector<std::string> allowed_hosts, std::string& error);
  // Replaces the bearer token (a reload re-read the token file).
  void set_token(std::optional<std::string> token);
  // Replaces the names Host may carry besides the built-in ones (a reload).
  void set_allowed_hosts(std::vector<std::string> allowed_hosts);
  void stop();
  std::uint16_t port() const { return port_; }
  const std::string& bound_address() const { return bound_; }

  struct State;  // shared with the connection coroutines, which may outlive a stop()

 private:
  boost::asio::io_context& control_;
  AdminHandler& handler_;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::string host_;  // the configured host, as the guard compares it
  std::string bound_;
};

// Reads a bearer token file: the first line, trimmed. Refuses a missing/empty file and one
// readable by group or others.
std::optional<std::string> load_token_file(const std::string& path, std::string& error);

}  // namespace albatross::admin
