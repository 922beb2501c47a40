#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>

#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/deadline_wheel.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/tls/openssl_handles.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::upstream {

class ConnectionPool;

// One TCP connection to a target, either carrying an exchange or idle in its worker's pool; for
// an HTTPS target group, TLS runs over it (tls() is set once start_tls() was called; reads and
// writes then go through it, plain connections never look at it beyond one null test). Its
// Deadline bounds connect, handshake, response and idle time: on expiry the socket is
// cancelled (in use) or closed (idle). Thread: the owning worker's.
class UpstreamConnection final : public Deadline,
                                 public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(const boost::asio::any_io_executor& executor, DeadlineWheel& wheel,
                     std::shared_ptr<TargetState> target, const metrics::TargetMetrics& metrics);
  ~UpstreamConnection() override;

  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  // The TLS layer over socket(), or nullptr for a plain connection.
  TlsStream* tls() { return tls_.get(); }
  // Wraps the connected socket in TLS with `session` (a client SSL); the handshake is the
  // caller's.
  void start_tls(tls::SslPtr session);
  ByteBuffer& buffer() { return buffer_; }
  const std::shared_ptr<TargetState>& target() const { return target_; }
  const metrics::TargetMetrics& metrics() const { return metrics_; }
  // True once it has carried an exchange: a failure before any response byte may then be the
  // target closing an idle connection (the keep-alive race) rather than a real error.
  bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }
  void close();
  // EPOLLRDHUP is registered for the socket (common/socket_io.hpp): its reads may mark it
  // drained.
  bool watches_peer_close() const { return watches_peer_close_; }
  void set_watches_peer_close(bool on) { watches_peer_close_ = on; }
  // The connect succeeded: from now on it counts as an open upstream connection.
  void mark_connected();

 private:
  friend class ConnectionPool;
  void on_expire() override;

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;  // declared after socket_: destroyed before it
  ByteBuffer buffer_;
  std::shared_ptr<TargetState> target_;
  metrics::TargetMetrics metrics_;  // handles point into the registry, not the snapshot
  ConnectionPool* pool_ = nullptr;  // set while idle in a pool
  std::uint64_t idle_generation_ = 0;
  char probe_ = 0;  // where the idle watch of a plain connection reads a stray byte
  bool reused_ = false;
  bool watches_peer_close_ = false;
  bool connected_ = false;
};

}  // namespace albatross::upstream
