// The request side of the relay stage: the head and body on to the target, the body streaming
// from the client through in(), whose capacity bounds the memory one upload takes.

#include "albatross/http/exchange.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see exchange.cpp

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/socket_io.hpp"
#include "albatross/http/chunked_decoder.hpp"
#include "albatross/http/generated_response.hpp"

namespace albatross::http {

namespace net = boost::asio;
using boost::system::error_code;
namespace {
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
}  // namespace

awaitable<bool> Exchange::write_upstream(Connection& conn,
                                         std::span<const net::const_buffer> buffers) {
  conn.set(ctx_->config.idle_timeout);
  error_code ec;
  if (auto* tls = conn.tls()) {
    std::tie(ec, std::ignore) = co_await net::async_write(*tls, buffers, use_nothrow);
  } else {
    std::tie(ec, std::ignore) = co_await SocketIo::write_all(conn.socket(), buffers, false);
  }
  conn.clear();
  co_return !ec;
}

// Reads from a target into its connection's buffer: through TLS for HTTPS targets.
awaitable<std::pair<error_code, std::size_t>> Exchange::read_upstream(Connection& conn,
                                                                      std::size_t capacity,
                                                                      bool expect_data,
                                                                      bool exclusive) {
  ByteBuffer& buffer = conn.buffer();
  if (capacity >= kBufferSize) buffer.grow_to(kBufferSize);
  if (auto* tls = conn.tls()) {
    char* p = buffer.prepare(capacity > kBufferSize ? capacity / 2 : kMinRead, capacity);
    auto [ec, n] = co_await tls->async_read_some(net::buffer(p, buffer.free_space()), use_nothrow);
    if (!ec) buffer.commit(n);
    co_return std::pair{ec, n};
  }
  // Reads for large bodies take at least half the large buffer, growing it once.
  const std::size_t min_free = capacity > kBufferSize ? capacity / 2 : kMinRead;
  co_return co_await SocketIo::read_some(conn.socket(), buffer, min_free, capacity, expect_data,
                                         exclusive && conn.watches_peer_close());
}

// The slow-POST bound (listener body_timeout and body_min_rate): the body's deadline starts
// body_timeout after it is first expected, grows by 1 s per body_min_rate bytes received, and
// never lies more than body_timeout ahead. Time spent waiting for the target to take the body
// is added back: a slow target is not the client's doing.
void Exchange::credit_body(std::size_t bytes, Clock::duration target_wait) {
  const config::ListenerConfig& c = ctx_->config;
  auto now = Clock::now();
  body_deadline_ += target_wait;
  if (c.body_min_rate > 0) {
    body_deadline_ += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(bytes) / c.body_min_rate));
  } else if (bytes > 0) {
    body_deadline_ = now + c.body_timeout;
  }
  body_deadline_ = std::min(body_deadline_, now + c.body_timeout);
}

// Reads more of the request body into in_ under the body deadline.
awaitable<Failure> Exchange::read_body() {
  in_.grow_to(kBufferSize);
  DownstreamIo::ReadResult r = co_await io_.read(in_, kBufferSize, body_deadline_, true, true);
  if (r.status == DownstreamIo::ReadStatus::timed_out) co_return Failure::client_body_timeout;
  if (r.status != DownstreamIo::ReadStatus::ok) co_return Failure::client_lost;
  credit_body(r.bytes);
  co_return Failure::none;
}

// Writes body bytes to the target; the wait is not charged to the client's body deadline.
awaitable<bool> Exchange::write_body(Connection& conn, std::span<const net::const_buffer> buffers) {
  auto started = Clock::now();
  bool ok = co_await write_upstream(conn, buffers);
  credit_body(0, Clock::now() - started);
  co_return ok;
}

awaitable<Failure> Exchange::send_request(Connection& conn) {
  Forward& f = fwd_;
  net::const_buffer head = net::buffer(upstream_head_);
  if (f.facts.body == BodyKind::none) {
    f.body_sent = true;
    co_return co_await write_upstream(conn, std::span(&head, 1)) ? Failure::none
                                                                 : Failure::send_failed;
  }
  if (f.facts.expect_continue && in_.empty()) {
    // ALB answers 100 Continue itself and forwards the request without Expect (§4.3).
    if (!co_await write_client(kContinueResponse)) co_return Failure::client_lost;
  }
  body_deadline_ = Clock::now() + ctx_->config.body_timeout;
  if (f.facts.body == BodyKind::chunked) co_return co_await send_chunked_body(conn);
  std::uint64_t& remaining = f.body_remaining;
  std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), remaining));
  credit_body(first);
  std::array<net::const_buffer, 2> buffers{head, net::buffer(in_.data(), first)};
  if (!co_await write_body(conn, buffers)) co_return Failure::send_failed;
  in_.consume(first);
  remaining -= first;
  while (remaining > 0) {
    if (Failure failure = co_await read_body(); failure != Failure::none) co_return failure;
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), remaining));
    net::const_buffer piece = net::buffer(in_.data(), take);
    if (!co_await write_body(conn, std::span(&piece, 1))) co_return Failure::send_failed;
    in_.consume(take);
    remaining -= take;
  }
  f.body_sent = true;
  co_return Failure::none;
}

// Chunked: decode what the client sent and re-encode it with clean chunk lines.
awaitable<Failure> Exchange::send_chunked_body(Connection& conn) {
  credit_body(in_.size());
  net::const_buffer head = net::buffer(upstream_head_);
  if (!co_await write_body(conn, std::span(&head, 1))) co_return Failure::send_failed;
  ChunkedDecoder decoder;
  for (;;) {
    Gather& gather = this->gather();
    gather.clear();
    std::size_t consumed = 0;
    bool done = false;
    while (consumed < in_.size() && !gather.chunks_full()) {
      ChunkedDecoder::Step step = decoder.decode(in_.view().substr(consumed));
      if (step.error) co_return Failure::client_body_invalid;
      consumed += step.consumed;
      if (!step.data.empty()) {
        gather.push_chunk_line(step.data.size());
        gather.push_back(step.data);
        gather.push_back(kCrlf);
      }
      if (step.done) {
        gather.push_back(kLastChunk);
        done = true;
        break;
      }
      if (step.consumed == 0) break;
    }
    if (!gather.empty() && !co_await write_body(conn, gather.span()))
      co_return Failure::send_failed;
    in_.consume(consumed);
    if (done) break;
    if (Failure failure = co_await read_body(); failure != Failure::none) co_return failure;
  }
  fwd_.body_sent = true;
  co_return Failure::none;
}

}  // namespace albatross::http
