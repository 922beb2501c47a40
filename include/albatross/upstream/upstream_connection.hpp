#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/deadline_wheel.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::upstream {

class ConnectionPool;

// One TCP connection to a target, either carrying an exchange or idle in its worker's pool.
// Its Deadline bounds connect, response and idle time: on expiry the socket is cancelled (in
// use) or closed (idle). Thread: the owning worker's.
class UpstreamConnection final : public Deadline,
                                 public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(const boost::asio::any_io_executor& executor, DeadlineWheel& wheel,
                     std::shared_ptr<TargetState> target, const metrics::TargetMetrics& metrics);
  ~UpstreamConnection() override;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  ByteBuffer& buffer() { return buffer_; }
  const std::shared_ptr<TargetState>& target() const { return target_; }
  const metrics::TargetMetrics& metrics() const { return metrics_; }
  // True once it has carried an exchange: a failure before any response byte may then be the
  // target closing an idle connection (the keep-alive race) rather than a real error.
  bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }
  void close();
  // The connect succeeded: from now on it counts as an open upstream connection.
  void mark_connected();

 private:
  friend class ConnectionPool;
  void on_expire() override;

  boost::asio::ip::tcp::socket socket_;
  ByteBuffer buffer_;
  std::shared_ptr<TargetState> target_;
  metrics::TargetMetrics metrics_;  // handles point into the registry, not the snapshot
  ConnectionPool* pool_ = nullptr;  // set while idle in a pool
  std::uint64_t idle_generation_ = 0;
  bool reused_ = false;
  bool connected_ = false;
};

}  // namespace albatross::upstream
