#include "albatross/http/downstream_session.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see exchange.cpp

#include <array>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/socket_io.hpp"
#include "albatross/http/exchange.hpp"
#include "albatross/tls/handshake_failure.hpp"

namespace albatross::http {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

template <typename Stream>
constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;

template <typename Stream>
tcp::socket& lowest_layer(Stream& stream) {
  if constexpr (kPlain<Stream>) {
    return stream;
  } else {
    return stream.next_layer();  // TLS over the client's socket
  }
}

// How long close_notify may take to leave before the connection is closed anyway.
constexpr std::chrono::seconds kCloseNotifyTimeout{1};

// One HTTP/1.1 client connection: the TLS handshake, request heads under the listener's limits
// and deadlines, client reads and writes for the exchange stages, and the close. Everything in
// between is Exchange's.
template <typename Stream>
class DownstreamSession final : public Deadline, public SessionHook, public DownstreamIo {
 public:
  DownstreamSession(Stream stream, WorkerContext& worker, std::shared_ptr<ListenerSlot> slot,
                    tcp::endpoint peer)
      : Deadline(worker.wheel),
        stream_(std::move(stream)),
        worker_(worker),
        exchange_(*this, worker, slot, peer),
        connection_metrics_(slot->current->metrics),
        scanner_(slot->current->settings->request_limits) {
    worker_.add_session(*this, slot.get());
    connection_metrics_.connections->inc();
    connection_metrics_.connections_active->inc();
  }

  ~DownstreamSession() override {
    worker_.connections->fetch_sub(1, std::memory_order_relaxed);  // taken at accept
    worker_.remove_session(*this);
    connection_metrics_.connections_active->dec();
  }

  awaitable<void> run() {
    error_code ignored;
    // TCP_NODELAY comes from the listening socket (server/listen_socket_set.cpp).
    // Accepted with SOCK_NONBLOCK most of the time (server/worker.cpp): no ioctl then.
    if constexpr (kPlain<Stream>) {
      if (!stream_.non_blocking()) stream_.non_blocking(true, ignored);
    }
    if constexpr (!kPlain<Stream>) {
      if (!co_await handshake()) {
        lowest_layer(stream_).close(ignored);
        co_return;
      }
    }
    for (;;) {
      if (!co_await read_request_head()) break;
      if (!co_await exchange_.serve(scanner_.head_size())) break;
      served_ = true;
    }
    co_await close_connection();
  }

  void drain() override {
    if (idle_) {
      error_code ignored;
      lowest_layer(stream_).cancel(ignored);
    }
  }

  void abort() override {
    error_code ignored;
    lowest_layer(stream_).close(ignored);
    exchange_.abort_upstream();
  }

  //--------------------------------------------------------------------------------------------
  // DownstreamIo

  awaitable<bool> write(std::span<const net::const_buffer> buffers, bool more) override {
    set(exchange_.context().config.idle_timeout);
    error_code ec;
    std::size_t n = 0;
    if constexpr (kPlain<Stream>) {
      std::tie(ec, n) = co_await SocketIo::write_all(stream_, buffers, more);
    } else {
      std::tie(ec, n) = co_await net::async_write(stream_, buffers, use_nothrow);
    }
    // A reader that took too little for idle_timeout (slow read): what remains in the kernel's
    // send buffer would still trickle out after a close, holding that memory and the peer's
    // hopes, so the connection is reset instead.
    if (ec && expired()) reset_on_close_ = true;
    clear();
    sent_bytes += n;
    co_return !ec;
  }

  awaitable<ReadResult> read(ByteBuffer& buffer, std::size_t capacity,
                             DownstreamIo::Clock::time_point deadline, bool expect_data,
                             bool exclusive) override {
    set_at(deadline);
    auto [ec, n] = co_await read_some(buffer, capacity, expect_data, exclusive);
    bool timed_out = expired();
    clear();
    if (!ec && n > 0) {
      received_bytes += n;
      co_return ReadResult{ReadStatus::ok, n};
    }
    if (timed_out) co_return ReadResult{ReadStatus::timed_out, 0};
    co_return ReadResult{ec == net::error::eof ? ReadStatus::eof : ReadStatus::failed, 0};
  }

  void shutdown_send() override {
    error_code ignored;
    lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ignored);
  }

  void cancel() override {
    error_code ignored;
    lowest_layer(stream_).cancel(ignored);
  }

  void describe_tls(accesslog::AccessLogRecord& record) override {
    if constexpr (!kPlain<Stream>) {
      // OpenSSL's names (as ALB logs them); both strings are static in OpenSSL.
      SSL* ssl = stream_.native_handle();
      record.tls_cipher = SSL_get_cipher_name(ssl);
      record.tls_protocol = SSL_get_version(ssl);
      const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      if (sni != nullptr) record.sni.assign(sni);
    }
  }

 private:
  void on_expire() override {
    error_code ignored;
    lowest_layer(stream_).cancel(ignored);
  }

  awaitable<std::pair<error_code, std::size_t>> read_some(ByteBuffer& buffer, std::size_t capacity,
                                                          bool expect_data, bool exclusive) {
    if constexpr (kPlain<Stream>) {
      return SocketIo::read_some(stream_, buffer, Exchange::kMinRead, capacity, expect_data,
                                 exclusive && watches_peer_close_);
    } else {
      return read_tls(buffer, capacity);
    }
  }

  // The first bytes after an idle wait. A plain connection waits with a small landing area
  // rather than a read buffer, so an idle connection holds none, and its wait costs no system
  // call (a readiness wait would re-arm the descriptor with epoll_ctl each time).
  awaitable<std::pair<error_code, std::size_t>> read_idle(ByteBuffer& in) {
    if constexpr (kPlain<Stream>) {
      // A connection that waits for a second request will wait again: let its edges report the
      // client's close, so that its reads may mark it drained.
      if (!watches_peer_close_ && served_)
        watches_peer_close_ = SocketIo::watch_peer_close(stream_);
      auto [ec, n] = co_await SocketIo::read_some(stream_, landing_.data(), landing_.size(), false,
                                                  watches_peer_close_);
      if (ec || n == 0) co_return std::pair{ec, n};
      char* p = in.prepare(Exchange::kMinRead, Exchange::kSmallBuffer);
      std::memcpy(p, landing_.data(), n);
      in.commit(n);
      if (n < landing_.size()) co_return std::pair{ec, n};
      // The landing area filled up: take what else is there at once.
      error_code more_ec;
      std::size_t more = stream_.read_some(
          net::buffer(in.prepare(Exchange::kMinRead, Exchange::kBufferSize), in.free_space()),
          more_ec);
      if (!more_ec) {
        in.commit(more);
        n += more;
      }
      co_return std::pair{error_code{}, n};
    } else {
      co_return co_await read_tls(in, Exchange::kSmallBuffer);
    }
  }

  awaitable<std::pair<error_code, std::size_t>> read_tls(ByteBuffer& buffer, std::size_t capacity) {
    char* p = buffer.prepare(Exchange::kMinRead, capacity);
    auto [ec, n] =
        co_await stream_.async_read_some(net::buffer(p, buffer.free_space()), use_nothrow);
    if (!ec) buffer.commit(n);
    co_return std::pair{ec, n};
  }

  // TLS listeners: the handshake, within handshake_timeout. Failures are counted by reason and
  // not logged (scanners and broken clients would flood the log).
  awaitable<bool> handshake() {
    const ListenerContext& ctx = exchange_.context();
    set(ctx.tls->handshake_timeout());
    auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, use_nothrow);
    bool timed_out = expired();
    clear();
    if (ec) {
      auto reason = tls::classify_handshake_failure(ec, timed_out);
      ctx.tls_handshake_failures[static_cast<std::size_t>(reason)]->inc();
      co_return false;
    }
    bool resumed = SSL_session_reused(stream_.native_handle()) == 1;
    (resumed ? ctx.tls_handshakes_resumed : ctx.tls_handshakes_new)->inc();
    if (config::ClientAuthMode mode = ctx.tls->client_auth(); mode != config::ClientAuthMode::off) {
      exchange_.set_client_cert(tls::client_cert_headers(stream_.native_handle(), mode));
    }
    co_return true;
  }

  // Sends close_notify without waiting for the client's: marking the client's as received lets
  // the shutdown complete once ours is written. Errors (the client left) are expected.
  awaitable<void> send_close_notify() {
    if (!lowest_layer(stream_).is_open()) co_return;
    SSL* ssl = stream_.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    set(kCloseNotifyTimeout);
    co_await stream_.async_shutdown(use_nothrow);
    clear();
  }

  // Reads the next request head into the exchange's buffer. False when the connection should
  // end (the client left, timed out, or sent something answered with an error).
  awaitable<bool> read_request_head() {
    ByteBuffer& in = exchange_.in();
    // Limits of the exchange's current snapshot: the one the scanner was made with may be gone.
    const ListenerContext& ctx = exchange_.context();
    const HeadLimits& limits = ctx.settings->request_limits;
    scanner_ = HeadScanner(limits);
    bool header_deadline = false;
    for (;;) {
      if (!in.empty()) {
        switch (scanner_.scan(in.view())) {
          case HeadScanner::Status::complete:
            clear();
            co_return true;
          case HeadScanner::Status::incomplete:
            break;
          case HeadScanner::Status::bare_line_break:
            co_return co_await refuse_head(
                400, scanner_.in_start_line() ? Reason::bad_uri : Reason::bad_header);
          case HeadScanner::Status::start_line_too_long:
            co_return co_await refuse_head(414);
          case HeadScanner::Status::field_line_too_long:
          case HeadScanner::Status::head_too_large:
          case HeadScanner::Status::too_many_fields:
            co_return co_await refuse_head(431);
        }
        if (!header_deadline) {
          // The slowloris bound: the whole head must arrive within header_timeout of its first
          // byte.
          set(ctx.config.header_timeout);
          header_deadline = true;
        }
      } else {
        if (exchange_.closing()) co_return false;
        in.release_if_empty();
        set(ctx.config.idle_timeout);
        idle_ = true;
      }
      // Heads beyond the usual buffer may grow it up to the head limit, once.
      std::size_t capacity = in.size() + Exchange::kMinRead > Exchange::kBufferSize
                                 ? limits.max_head + Exchange::kMinRead
                                 : Exchange::kBufferSize;
      auto [ec, n] = idle_ ? co_await read_idle(in) : co_await read_some(in, capacity, false, true);
      idle_ = false;
      if (ec || n == 0) {
        bool timed_out = expired();
        clear();
        // A partial head that stopped arriving gets 408; an idle connection just closes (a 408
        // there would race the client's next request).
        if (timed_out && !in.empty()) co_await refuse_head(408);
        co_return false;
      }
      received_bytes += n;
      if (in.size() > limits.max_head + 2) co_return co_await refuse_head(431);
    }
  }

  awaitable<bool> refuse_head(int status, Reason reason = Reason::compliant) {
    co_await exchange_.refuse(status, reason);
    co_return false;
  }

  awaitable<void> close_connection() {
    clear();
    exchange_.flush_byte_counts();
    if constexpr (!kPlain<Stream>) {
      if (!reset_on_close_) co_await send_close_notify();
    }
    error_code ignored;
    if (reset_on_close_) {
      lowest_layer(stream_).set_option(net::socket_base::linger(true, 0), ignored);
    } else if (!exchange_.nothing_unread()) {
      // Half-close first so a response still in flight is not cut by a reset when unread
      // request bytes remain in the kernel buffer. With nothing unread, close() alone sends
      // the FIN behind the response (as NGINX closes without lingering).
      lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ignored);
    }
    lowest_layer(stream_).close(ignored);
    co_return;
  }

  Stream stream_;
  WorkerContext& worker_;
  Exchange exchange_;
  metrics::ListenerMetrics connection_metrics_;  // of the listener that accepted the connection
  HeadScanner scanner_;
  // Where an idle plain connection's next request lands (see read_idle).
  std::array<char, kPlain<Stream> ? 1024 : 1> landing_;
  bool idle_ = false;
  bool served_ = false;              // an exchange completed on this connection
  bool watches_peer_close_ = false;  // EPOLLRDHUP registered (SocketIo::watch_peer_close)
  bool reset_on_close_ = false;      // a write to the client timed out: close with a reset
};

}  // namespace

template <typename Stream>
awaitable<void> serve_downstream(Stream stream, WorkerContext& worker,
                                 std::shared_ptr<ListenerSlot> slot, tcp::endpoint peer) {
  auto session =
      std::make_unique<DownstreamSession<Stream>>(std::move(stream), worker, std::move(slot), peer);
  co_await session->run();
}

template awaitable<void> serve_downstream<tcp::socket>(tcp::socket, WorkerContext&,
                                                       std::shared_ptr<ListenerSlot>,
                                                       tcp::endpoint);
template awaitable<void> serve_downstream<net::ssl::stream<tcp::socket>>(
    net::ssl::stream<tcp::socket>, WorkerContext&, std::shared_ptr<ListenerSlot>, tcp::endpoint);

}  // namespace albatross::http
