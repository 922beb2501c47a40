#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace albatross::health::testing {

using Clock = std::chrono::steady_clock;

// A loopback HTTP responder for health-check tests, on 127.0.0.1 port 0, driven by the test's
// io_context. It reads one request head per connection, records it and answers according to its
// mode. Thread: the io_context's (the test's own thread).
class FakeTarget {
 public:
  enum class Mode {
    respond,  // "HTTP/1.1 <status>" with a small body, then waits for the client to close
    hang,     // reads the request and never answers
    garbage,  // answers with bytes that are not HTTP
    reset,    // resets the connection without answering
    close,    // closes the connection without answering
    raw,      // answers with raw_response() as it is
  };

  explicit FakeTarget(boost::asio::io_context& io);
  ~FakeTarget();

  std::uint16_t port() const { return port_; }
  boost::asio::ip::tcp::endpoint endpoint() const;

  void set_status(int status) { state_->status = status; }
  void set_mode(Mode mode) { state_->mode = mode; }
  void set_raw_response(std::string raw) { state_->raw = std::move(raw); }

  // Request heads received, in order, and when each arrived.
  std::size_t requests() const { return state_->requests.size(); }
  const std::vector<std::string>& request_heads() const { return state_->requests; }
  const std::vector<Clock::time_point>& request_times() const { return state_->times; }
  // Connections the client closed after the response (EOF seen by the responder).
  std::size_t client_closes() const { return state_->client_closes; }

  void stop();

  struct State {
    Mode mode = Mode::respond;
    int status = 200;
    std::string raw;
    std::vector<std::string> requests;
    std::vector<Clock::time_point> times;
    std::size_t client_closes = 0;
    bool stopped = false;
    std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> open;  // closed by stop()
  };

 private:
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

// A loopback port nothing listens on (bound, then closed): connecting to it is refused.
std::uint16_t refused_port(boost::asio::io_context& io);

// Runs `io` until `done()` holds or `limit` passes; true when it held. The io_context is kept
// from running out of work meanwhile.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit);

}  // namespace albatross::health::testing
