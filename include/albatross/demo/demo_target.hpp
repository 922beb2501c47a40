#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace albatross::demo {

// A small HTTP/1.1 application server built on Beast, standing in for the app servers
// albatross balances (demo, integration tests, benchmarks). Every response carries
// `X-Target: <name>`. Thread: runs on the io_context it was given; counters and settings are
// atomics. Endpoints:
// clang-format off
//   GET  /ping                        200 "pong"; status settable (set_ping_status,
//                                     or POST /admin/ping?status=503)
//   any  /?delay=MS                   "Hello from NAME" after MS milliseconds
//   GET  /headers                     the request header, one "name: value" line per field
//   POST /upload                      reads the body without buffering it; "received N bytes"
//   POST /files/KEY                   stores size+hash of the body under KEY (a stateful upload)
//   GET  /files/KEY                   200 "KEY N HASH" if this target holds KEY, else 404
//   GET  /sse?events=N&interval=MS    Server-Sent Events, one chunk per event
//   GET  /bytes?n=N                   N bytes of body (Content-Length), for throughput
//   GET  /status/CODE                 an empty response with that status
//   GET  /ws                          WebSocket echo
//   GET  /misbehave/MODE              reset | close | no-framing | hang | trickle | huge-header;
//                                     trickle sends a 5-byte body a byte per ?interval=MS (200)
// clang-format on
class DemoTarget {
 public:
  DemoTarget(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
             std::string name);
  ~DemoTarget();

  std::uint16_t port() const { return port_; }
  const std::string& name() const { return state_->name; }
  void set_ping_status(int status) { state_->ping_status.store(status); }
  // Every request (but /ping) waits this long before it is answered, on top of ?delay=: a slow
  // app server.
  void set_delay(std::chrono::milliseconds delay) { state_->delay_ms.store(delay.count()); }
  std::uint64_t connections_accepted() const { return state_->connections.load(); }
  std::uint64_t requests_served() const { return state_->requests.load(); }
  std::uint64_t ping_requests() const { return state_->pings.load(); }
  // Stops accepting and closes every connection. Safe from any thread.
  void stop();

  struct State {
    std::string name;
    std::atomic<int> ping_status{200};
    std::atomic<std::int64_t> delay_ms{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> pings{0};
    std::atomic<bool> stopped{false};
    std::mutex files_mutex;
    std::map<std::string, std::string> files;
    std::mutex sockets_mutex;  // open connections, closed by stop()
    std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets;
  };

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace albatross::demo
