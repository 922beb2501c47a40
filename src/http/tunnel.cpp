// The WebSocket (any 101 Upgrade) tunnel of Exchange: bytes flow both ways until each side has
// closed its half; idle_timeout bounds silence in either direction.

#include "albatross/common/coroutine.hpp"
#include "albatross/http/exchange.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see exchange.cpp

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace albatross::http {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

awaitable<void> Exchange::tunnel(Connection& conn) {
  using namespace net::experimental::awaitable_operators;
  co_await (pump_client_to_target(conn) && pump_target_to_client(conn));
}

awaitable<void> Exchange::pump_client_to_target(Connection& conn) {
  for (;;) {
    if (!in_.empty()) {
      net::const_buffer piece = net::buffer(in_.data(), in_.size());
      if (!co_await write_upstream(conn, std::span(&piece, 1))) break;
      in_.clear();
    }
    DownstreamIo::ReadResult r =
        co_await io_.read(in_, kBufferSize, Clock::now() + ctx_->config.idle_timeout, false, false);
    if (r.status == DownstreamIo::ReadStatus::eof) {
      error_code ignored;
      conn.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (r.status != DownstreamIo::ReadStatus::ok) break;
  }
  // Either side failed: end both directions.
  error_code ignored;
  conn.socket().close(ignored);
  io_.cancel();
}

awaitable<void> Exchange::pump_target_to_client(Connection& conn) {
  ByteBuffer& buffer = conn.buffer();
  for (;;) {
    if (!buffer.empty()) {
      net::const_buffer piece = net::buffer(buffer.data(), buffer.size());
      if (!co_await write_client(std::span(&piece, 1))) break;
      buffer.clear();
    }
    conn.set(ctx_->config.idle_timeout);
    auto [ec, n] = co_await read_upstream(conn, kBufferSize, false, false);
    conn.clear();
    if (ec == net::error::eof) {
      io_.shutdown_send();
      co_return;
    }
    if (ec) break;
  }
  io_.cancel();
  error_code ignored;
  conn.socket().close(ignored);
}

}  // namespace albatross::http
