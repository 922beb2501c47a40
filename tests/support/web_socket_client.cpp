#include "support/web_socket_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace albatross::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

WebSocketClient::WebSocketClient() = default;

WebSocketClient::~WebSocketClient() {
  if (ws_) {
    error_code ignored;
    beast::get_lowest_layer(*ws_).socket().close(ignored);
  }
}

bool WebSocketClient::run(const bool& done, TimePoint deadline) {
  io_.restart();
  while (!done && Clock::now() < deadline) {
    if (io_.run_one_until(deadline) == 0 && io_.stopped()) break;
  }
  if (!done) {
    error_code ignored;
    beast::get_lowest_layer(*ws_).socket().close(ignored);
    io_.restart();
    io_.run();  // the cancelled operation completes with its error
    if (error_.empty()) error_ = "deadline passed";
    return false;
  }
  return true;
}

bool WebSocketClient::open(std::uint16_t port, std::string_view path, TimePoint deadline) {
  error_.clear();
  ws_.emplace(io_);
  net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  bool done = false;
  error_code result;
  beast::get_lowest_layer(*ws_).async_connect(endpoint, [&](error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    ws_->async_handshake("127.0.0.1:" + std::to_string(port), std::string(path),
                         [&](error_code hec) {
                           result = hec;
                           done = true;
                         });
  });
  if (!run(done, deadline)) return false;
  if (result) error_ = "open: " + result.message();
  return !result;
}

std::optional<std::string> WebSocketClient::echo(std::string_view text, TimePoint deadline) {
  error_.clear();
  if (!ws_) {
    error_ = "not open";
    return std::nullopt;
  }
  std::string message(text);
  beast::flat_buffer buffer;
  bool done = false;
  error_code result;
  ws_->text(true);
  ws_->async_write(net::buffer(message), [&](error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    ws_->async_read(buffer, [&](error_code rec, std::size_t) {
      result = rec;
      done = true;
    });
  });
  if (!run(done, deadline)) return std::nullopt;
  if (result) {
    error_ = "echo: " + result.message();
    return std::nullopt;
  }
  return beast::buffers_to_string(buffer.data());
}

bool WebSocketClient::close(TimePoint deadline) {
  error_.clear();
  if (!ws_) return false;
  bool done = false;
  error_code result;
  ws_->async_close(websocket::close_code::normal, [&](error_code ec) {
    result = ec;
    done = true;
  });
  if (!run(done, deadline)) return false;
  if (result) error_ = "close: " + result.message();
  return !result;
}

}  // namespace albatross::testing
