#include "albatross/upstream/connection_pool.hpp"

#include <algorithm>

namespace albatross::upstream {

ConnectionPool::~ConnectionPool() {
  close_all();
}

std::shared_ptr<UpstreamConnection> ConnectionPool::acquire(const TargetState* target) {
  auto it = idle_.find(target);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    std::shared_ptr<UpstreamConnection> c = std::move(list.back());
    list.pop_back();
    c->pool_ = nullptr;
    ++c->idle_generation_;
    c->clear();
    if (!c->socket_.is_open()) continue;
    // Flush the idle watch; its handler sees a changed generation and leaves the
    // connection alone.
    boost::system::error_code ignored;
    c->socket_.cancel(ignored);
    return c;
  }
  return nullptr;
}

void ConnectionPool::release(std::shared_ptr<UpstreamConnection> connection,
                             std::chrono::milliseconds keepalive, std::size_t max_idle) {
  if (!connection->socket_.is_open() || keepalive.count() == 0 || !connection->buffer_.empty()) {
    connection->close();
    return;
  }
  auto& list = idle_[connection->target_.get()];
  if (list.size() >= max_idle) {
    connection->close();
    return;
  }
  connection->mark_reused();
  connection->buffer_.release_if_empty();
  connection->pool_ = this;
  ++connection->idle_generation_;
  connection->set(keepalive);
  watch(connection);
  list.push_back(std::move(connection));
}

void ConnectionPool::watch(const std::shared_ptr<UpstreamConnection>& connection) {
  std::uint64_t generation = connection->idle_generation_;
  // Any readiness while idle (close, reset or stray bytes) disqualifies the connection; so does
  // the keep-alive deadline closing it.
  auto on_ready = [self = connection, generation](const boost::system::error_code&, std::size_t) {
    if (self->pool_ == nullptr || self->idle_generation_ != generation) return;
    self->pool_->remove(self.get());
  };
  if (connection->tls_) {
    // TLS may hold bytes of its own: watch the socket without reading from under it.
    connection->socket_.async_wait(
        boost::asio::ip::tcp::socket::wait_read,
        [on_ready](const boost::system::error_code& ec) mutable { on_ready(ec, 0); });
  } else {
    // A one-byte read rather than async_wait: a wait re-arms the descriptor (epoll_ctl) each
    // time, a read on a socket known to be drained is queued without a system call
    // (common/socket_io.hpp). Whatever it reads ends the connection anyway.
    connection->socket_.async_read_some(boost::asio::buffer(&connection->probe_, 1),
                                        std::move(on_ready));
  }
}

void ConnectionPool::remove(UpstreamConnection* connection) {
  auto it = idle_.find(connection->target_.get());
  if (it == idle_.end()) return;
  auto& list = it->second;
  auto found =
      std::find_if(list.begin(), list.end(), [&](const auto& c) { return c.get() == connection; });
  if (found == list.end()) return;
  std::shared_ptr<UpstreamConnection> c = std::move(*found);
  list.erase(found);
  if (list.empty()) idle_.erase(it);
  c->pool_ = nullptr;
  c->clear();
  c->close();
}

void ConnectionPool::close_all() {
  auto idle = std::move(idle_);
  idle_.clear();
  for (auto& [target, list] : idle) {
    for (auto& c : list) {
      c->pool_ = nullptr;
      c->clear();
      c->close();
    }
  }
}

void ConnectionPool::close_for(const TargetState* target) {
  auto it = idle_.find(target);
  if (it == idle_.end()) return;
  auto list = std::move(it->second);
  idle_.erase(it);
  for (auto& c : list) {
    c->pool_ = nullptr;
    c->clear();
    c->close();
  }
}

}  // namespace albatross::upstream
