#include "albatross/server/worker.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/socket_io.hpp"
#include "albatross/http/downstream_session.hpp"
#include "albatross/metrics/sharded.hpp"

namespace albatross::server {

namespace net = boost::asio;
using net::ip::tcp;

struct Worker::Acceptor {
  explicit Acceptor(net::io_context& io) : acceptor(io), backoff(io) {}
  tcp::acceptor acceptor;
  net::steady_timer backoff;
  std::shared_ptr<http::ListenerSlot> slot = std::make_shared<http::ListenerSlot>();
};

namespace {

// Connections taken per wake-up of an accept loop, as HAProxy's tune.maxaccept. The loop wakes
// once per pass over the worker's ready handlers, and a pass over 1,000 busy sessions takes
// milliseconds: taking one connection per wake-up left a 2,000-connection burst in the listen
// queue for up to 4 s (requests already sent waited there, past wrk's 5 s timeout). The bound
// keeps a flood of new connections from starving the sessions already open.
constexpr int kMaxAcceptBatch = 64;
// TLS listeners take one connection per pass: each accepted connection's first step is the
// server's half of a full handshake (hundreds of microseconds of key exchange and signing), and
// a batch of them would run ahead of every connection already past its handshake, whose
// requests then wait (HAProxy runs handshakes in its own low-priority class for the same
// reason). The asynchronous accept still takes the next one at once if it is queued.
constexpr int kMaxTlsAcceptBatch = 1;

// Starts the session of one accepted connection, or closes it at global.max_connections.
void admit(tcp::socket socket, const tcp::endpoint& peer, const net::any_io_executor& executor,
           const std::shared_ptr<http::ListenerSlot>& slot, http::WorkerContext& context) {
  const http::ListenerContext& listener = *slot->current;
  // global.max_connections: beyond it a new connection is closed at once and counted (ALB's
  // RejectedConnectionCount); the session releases its count when it ends.
  if (context.connections->fetch_add(1, std::memory_order_relaxed) >=
      listener.settings->max_connections) {
    context.connections->fetch_sub(1, std::memory_order_relaxed);
    listener.metrics.connections_rejected->inc();
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  if (listener.tls) {
    // TLS listener: the session starts with the handshake, under its own deadline.
    SSL* ssl = SSL_new(listener.tls->native());
    if (ssl == nullptr) {
      context.connections->fetch_sub(1, std::memory_order_relaxed);
      return;  // out of memory: the socket closes as it goes out of scope
    }
    net::co_spawn(executor,
                  http::serve_downstream(net::ssl::stream<tcp::socket>(std::move(socket), ssl),
                                         context, slot, peer),
                  net::detached);
    return;
  }
  net::co_spawn(executor, http::serve_downstream(std::move(socket), context, slot, peer),
                net::detached);
}

// Takes one queued connection without waiting: accept4() makes it non-blocking and
// close-on-exec in the same call. An empty `socket` when the queue is empty or on an error
// (met again, and handled, by the asynchronous accept).
tcp::socket accept_queued(tcp::acceptor& acceptor, tcp::endpoint& peer) {
  tcp::socket socket(acceptor.get_executor());
  socklen_t length = static_cast<socklen_t>(peer.capacity());
  int fd = ::accept4(acceptor.native_handle(), peer.data(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return socket;
  boost::system::error_code ec;
  peer.resize(length);
  socket.assign(peer.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return socket;
  }
  SocketIo::adopt_accepted(socket, true);
  return socket;
}

// `owner` keeps the acceptor, timer and slot alive for as long as the loop runs. The acceptor
// is in non-blocking mode: after each asynchronous accept, the loop takes what else is queued
// (up to kMaxAcceptBatch) without waiting.
awaitable<void> accept_loop(std::shared_ptr<void> /*owner*/, tcp::acceptor& acceptor,
                            net::steady_timer& backoff, std::shared_ptr<http::ListenerSlot> slot,
                            http::WorkerContext& context) {
  const net::any_io_executor executor = acceptor.get_executor();
  tcp::endpoint peer;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(peer, use_nothrow);
    if (ec) {
      if (!acceptor.is_open() || ec == net::error::operation_aborted) co_return;
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
          ec == net::error::no_memory) {
        // Out of descriptors: back off briefly instead of spinning on the same error.
        log::warn("accept on listener ", slot->current->name, " failed: ", ec.message(),
                  "; pausing accepts for 100ms");
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(use_nothrow);
      }
      continue;
    }
    SocketIo::adopt_accepted(socket, false);
    admit(std::move(socket), peer, executor, slot, context);
    const int batch = slot->current->tls ? kMaxTlsAcceptBatch : kMaxAcceptBatch;
    for (int taken = 1; taken < batch; ++taken) {
      tcp::socket more = accept_queued(acceptor, peer);
      if (!more.is_open()) break;
      admit(std::move(more), peer, executor, slot, context);
    }
  }
}

}  // namespace

Worker::Worker(unsigned index, std::shared_ptr<std::atomic<std::int64_t>> connections)
    : index_(index), io_(1), work_(net::make_work_guard(io_)) {
  context_.emplace(io_.get_executor(), index_, std::move(connections));
}

Worker::~Worker() {
  stop();
  // Sessions are gone once the loop ran dry; the context (with its timer) must go before io_.
  acceptors_.clear();
  context_.reset();
}

void Worker::start() {
  thread_ = std::thread([this] {
    metrics::set_thread_shard(index_ + 1);
    io_.run();
  });
}

void Worker::apply(std::vector<ListenerAssignment> listeners) {
  net::post(io_, [this, listeners = std::move(listeners)]() mutable { apply_here(listeners); });
}

void Worker::apply_here(std::vector<ListenerAssignment>& listeners) {
  std::map<std::string, std::shared_ptr<Acceptor>> next;
  for (ListenerAssignment& assignment : listeners) {
    auto it = acceptors_.find(assignment.key);
    if (it != acceptors_.end()) {
      if (assignment.fd >= 0) ::close(assignment.fd);  // already accepting on this address
      it->second->slot->current = assignment.context;
      next[assignment.key] = std::move(it->second);
      acceptors_.erase(it);
      continue;
    }
    auto acceptor = std::make_shared<Acceptor>(io_);
    boost::system::error_code ec;
    acceptor->acceptor.assign(assignment.ipv6 ? tcp::v6() : tcp::v4(), assignment.fd, ec);
    if (ec) {
      log::error("worker ", index_, ": cannot accept on ", assignment.key, ": ", ec.message());
      ::close(assignment.fd);
      continue;
    }
    // accept_loop's batches must not wait; the acceptor owns (and closes) the descriptor now.
    acceptor->acceptor.non_blocking(true, ec);
    if (ec) {
      log::error("worker ", index_, ": cannot accept on ", assignment.key, ": ", ec.message());
      continue;
    }
    acceptor->slot->current = assignment.context;
    net::co_spawn(
        io_,
        accept_loop(acceptor, acceptor->acceptor, acceptor->backoff, acceptor->slot, *context_),
        net::detached);
    next[assignment.key] = std::move(acceptor);
  }
  // Listeners the new snapshot dropped stop accepting; their open connections finish the
  // exchange in flight and close (they would otherwise be served from this stale snapshot for
  // good: its targets drain, so they would end up answered 503).
  for (auto& [key, acceptor] : acceptors_) {
    boost::system::error_code ignored;
    acceptor->acceptor.close(ignored);
    acceptor->backoff.cancel();
    context_->retire(*acceptor->slot);
  }
  acceptors_ = std::move(next);
}

void Worker::shutdown(std::function<void()> on_drained) {
  net::post(io_, [this, on_drained = std::move(on_drained)]() mutable {
    on_drained_ = std::move(on_drained);
    for (auto& [key, acceptor] : acceptors_) {
      boost::system::error_code ignored;
      acceptor->acceptor.close(ignored);
      acceptor->backoff.cancel();
    }
    acceptors_.clear();
    context_->on_empty = [this] { check_drained(); };
    context_->drain();
    check_drained();
  });
}

void Worker::post(std::function<void(http::WorkerContext&)> task) {
  net::post(io_, [this, task = std::move(task)] { task(*context_); });
}

void Worker::check_drained() {
  if (on_drained_ && context_->session_count() == 0) {
    auto callback = std::move(on_drained_);
    on_drained_ = nullptr;
    callback();
  }
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  // Close everything and let the loop run dry, so every coroutine finishes on this thread.
  net::post(io_, [this] {
    for (auto& [key, acceptor] : acceptors_) {
      boost::system::error_code ignored;
      acceptor->acceptor.close(ignored);
      acceptor->backoff.cancel();
    }
    context_->abort_all();
    work_.reset();
  });
  thread_.join();
}

}  // namespace albatross::server
