#include "albatross/upstream/upstream_connection.hpp"

#include "albatross/upstream/connection_pool.hpp"

namespace albatross::upstream {

UpstreamConnection::UpstreamConnection(const boost::asio::any_io_executor& executor,
                                       DeadlineWheel& wheel, std::shared_ptr<TargetState> target,
                                       const metrics::TargetMetrics& metrics)
    : Deadline(wheel), socket_(executor), target_(std::move(target)), metrics_(metrics) {}

UpstreamConnection::~UpstreamConnection() {
  if (connected_) metrics_.connections_active->dec();
}

void UpstreamConnection::mark_connected() {
  connected_ = true;
  metrics_.connections->inc();
  metrics_.connections_active->inc();
}

void UpstreamConnection::start_tls(tls::SslPtr session) {
  tls_ = std::make_unique<TlsStream>(socket_, session.release());
}

void UpstreamConnection::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UpstreamConnection::on_expire() {
  boost::system::error_code ignored;
  if (pool_ != nullptr) {
    // Idle too long: closing aborts the idle watch, whose handler takes it out of the pool.
    socket_.close(ignored);
  } else {
    socket_.cancel(ignored);
  }
}

}  // namespace albatross::upstream
