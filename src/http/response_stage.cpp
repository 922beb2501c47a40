// The response stage of Exchange and the response side of the relay: the target's head checked
// and rewritten (framing, keep-alive, stickiness cookies), then its body in the client's framing.

#include "albatross/http/exchange.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see exchange.cpp

#include "albatross/common/coroutine.hpp"
#include "albatross/http/chunked_decoder.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/sticky_binding.hpp"

namespace albatross::http {

namespace net = boost::asio;
namespace {
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
}  // namespace

// The response head is complete in the connection's buffer.
awaitable<bool> Exchange::respond_from_target() {
  Forward& f = fwd_;
  Connection& conn = *f.conn;
  const upstream::TargetGroup& group = *f.group;
  Clock::time_point response_at = Clock::now();
  group.metrics().response_time->observe_micros(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(response_at - f.sent_at).count()));
  if (logging_) {
    record_->target_processing = std::chrono::duration<double>(response_at - f.sent_at).count();
  }
  ResponseHead& response = worker_.response_scratch;
  ByteBuffer& upstream_in = conn.buffer();
  const std::size_t head_size = f.response_scanner.head_size();
  parse_response_head(upstream_in.view().substr(0, head_size), f.facts.is_head, response);
  if (!response.valid || (response.status == 101 && !f.facts.upgrade)) {
    conn.close();
    co_return co_await respond(502, true, f.route);
  }
  const int status = response.status;
  f.plan = ResponsePlan::of(response, f.facts, closing(), f.close_after, f.body_sent);
  if (logging_) {
    record_->status = status;
    record_->target_status = status;
    record_->response_processing =
        std::chrono::duration<double>(Clock::now() - response_at).count();
    if (f.plan.upgrade) record_->type = record_->type == "https" ? "wss" : "ws";
  }
  const ResponseBody body = response.body;
  const std::uint64_t length = response.content_length;
  write_downstream_head(response);
  upstream_in.consume(head_size);  // `response` views are dead from here on
  f.route->metrics.target_responses[metrics::code_class_index(status)]->inc();

  if (f.plan.upgrade) {
    net::const_buffer head = net::buffer(downstream_head_);
    if (co_await write_client(std::span(&head, 1))) co_await tunnel(conn);
    conn.close();
    co_return false;
  }
  bool ok = false;
  bool upstream_keep_alive = f.plan.upstream_keep_alive;
  switch (body) {
    case ResponseBody::none: {
      net::const_buffer head = net::buffer(downstream_head_);
      ok = co_await write_client(std::span(&head, 1));
      break;
    }
    case ResponseBody::content_length:
      ok = co_await relay_length(conn, length);
      break;
    case ResponseBody::chunked:
      ok = co_await relay_chunked(conn, f.plan.framing == ClientFraming::chunked);
      break;
    case ResponseBody::until_close:
      ok = co_await relay_until_close(conn, f.plan.framing == ClientFraming::chunked);
      upstream_keep_alive = false;
      break;
  }
  f.outstanding.reset();
  if (ok && upstream_keep_alive) {
    worker_.pool.release(std::move(f.conn), group.config().keepalive_timeout,
                         static_cast<std::size_t>(group.config().max_idle_connections));
  } else {
    conn.close();
  }
  co_return ok&& f.plan.client_keep_alive;
}

// Stickiness: (re)bind when the client had no usable cookie, the request moved to another
// target, or the binding's sliding window needs refreshing. Then the head for the client.
void Exchange::write_downstream_head(const ResponseHead& response) {
  Forward& f = fwd_;
  sticky_fields_.clear();
  if (f.sticky && (f.refresh_cookie || f.target != f.sticky_target)) {
    append_sticky_binding(sticky_fields_, *f.target, *f.group, *f.sticky,
                          *f.ctx->settings->sticky_codec, std::chrono::system_clock::now());
  }
  ResponseContext rc;
  rc.extra_fields = sticky_fields_;
  rc.framing = f.plan.framing;
  rc.keep_alive = f.plan.client_keep_alive;
  rc.client_http10 = f.facts.http10;
  rc.upgrade = f.plan.upgrade;
  rc.upgrade_protocol = f.facts.upgrade_protocol;
  write_downstream_response(response, rc, downstream_head_);
}

// Response body of known length: head and first bytes in one write, then stream. Large bodies
// read in bigger pieces and tell the kernel more follows, so it sends full segments.
awaitable<bool> Exchange::relay_length(Connection& conn, std::uint64_t remaining) {
  ByteBuffer& buffer = conn.buffer();
  const std::size_t capacity = remaining > kBufferSize               ? kLargeBodyBuffer
                               : remaining + kMinRead > kSmallBuffer ? kBufferSize
                                                                     : kSmallBuffer;
  std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining));
  std::array<net::const_buffer, 2> head_and_body{net::buffer(downstream_head_),
                                                 net::buffer(buffer.data(), first)};
  remaining -= first;
  if (!co_await write_client(head_and_body, remaining > 0)) co_return false;
  buffer.consume(first);
  while (remaining > 0) {
    conn.set(ctx_->config.idle_timeout);
    auto [ec, n] = co_await read_upstream(conn, capacity, true);
    conn.clear();
    if (ec || n == 0) co_return false;
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining));
    remaining -= take;
    net::const_buffer piece = net::buffer(buffer.data(), take);
    if (!co_await write_client(std::span(&piece, 1), remaining > 0)) co_return false;
    buffer.consume(take);
  }
  co_return true;  // bytes beyond the body keep the connection out of the pool (release())
}

// Chunked response body, decoded and sent on as it arrives (Server-Sent Events must not
// wait), re-encoded for HTTP/1.1 clients or raw until close for HTTP/1.0 ones.
awaitable<bool> Exchange::relay_chunked(Connection& conn, bool to_chunked) {
  ByteBuffer& buffer = conn.buffer();
  ChunkedDecoder decoder;
  bool head_written = false;
  for (;;) {
    Gather& gather = this->gather();
    gather.clear();
    if (!head_written) gather.push_back(net::buffer(downstream_head_));
    std::size_t consumed = 0;
    bool done = false;
    while (consumed < buffer.size() && !gather.chunks_full()) {
      ChunkedDecoder::Step step = decoder.decode(buffer.view().substr(consumed));
      if (step.error) {
        // Pass on what was valid (the head at least): the client then sees the response cut
        // off, where it would otherwise get no response at all.
        if (!gather.empty()) co_await write_client(gather.span());
        co_return false;
      }
      consumed += step.consumed;
      if (!step.data.empty()) {
        if (to_chunked) gather.push_chunk_line(step.data.size());
        gather.push_back(step.data);
        if (to_chunked) gather.push_back(kCrlf);
      }
      if (step.done) {
        if (to_chunked) gather.push_back(kLastChunk);
        done = true;
        break;
      }
      if (step.consumed == 0) break;
    }
    if (!gather.empty()) {
      if (!co_await write_client(gather.span())) co_return false;
      head_written = true;
    }
    buffer.consume(consumed);
    if (done) co_return true;
    conn.set(ctx_->config.idle_timeout);
    auto [ec, n] = co_await read_upstream(conn, kBufferSize, false);
    conn.clear();
    if (ec || n == 0) co_return false;
  }
}

// Body delimited by the target closing: re-chunked for HTTP/1.1 clients (whose connection
// then survives), raw for HTTP/1.0 ones.
awaitable<bool> Exchange::relay_until_close(Connection& conn, bool to_chunked) {
  ByteBuffer& buffer = conn.buffer();
  bool head_written = false;
  for (;;) {
    Gather& gather = this->gather();
    gather.clear();
    if (!head_written) gather.push_back(net::buffer(downstream_head_));
    if (!buffer.empty()) {
      if (to_chunked) gather.push_chunk_line(buffer.size());
      gather.push_back(net::buffer(buffer.data(), buffer.size()));
      if (to_chunked) gather.push_back(kCrlf);
    }
    if (!gather.empty()) {
      if (!co_await write_client(gather.span())) co_return false;
      head_written = true;
    }
    buffer.clear();
    conn.set(ctx_->config.idle_timeout);
    auto [ec, n] = co_await read_upstream(conn, kBufferSize, false);
    conn.clear();
    if (ec == net::error::eof) {
      if (to_chunked) co_return co_await write_client(kLastChunk);
      co_return true;
    }
    if (ec || n == 0) co_return false;
  }
}

}  // namespace albatross::http
