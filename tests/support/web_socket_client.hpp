#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/wait.hpp"

namespace albatross::testing {

// A blocking WebSocket client (Beast) for tests that keep a session open while something else
// happens: every call runs its operation on a private io_context until it completes or its
// deadline passes (then the socket is closed and the call fails). Thread: one thread at a time.
class WebSocketClient {
 public:
  WebSocketClient();
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // Connects to 127.0.0.1:`port` and upgrades on `path`; false (see error()) on failure.
  bool open(std::uint16_t port, std::string_view path, TimePoint deadline);
  // Sends `text` as one text message and returns the next message received; nullopt on failure.
  std::optional<std::string> echo(std::string_view text, TimePoint deadline);
  // The closing handshake; true when it completed cleanly.
  bool close(TimePoint deadline);
  const std::string& error() const { return error_; }

 private:
  // Runs the io_context until `done` or `deadline`; on the deadline closes the socket and lets
  // the operation finish with its error.
  bool run(const bool& done, TimePoint deadline);

  boost::asio::io_context io_;
  std::optional<boost::beast::websocket::stream<boost::beast::tcp_stream>> ws_;
  std::string error_;
};

}  // namespace albatross::testing
