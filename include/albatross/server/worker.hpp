#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "albatross/http/worker_context.hpp"
#include "albatross/server/snapshot.hpp"

namespace albatross::server {

// One listener as a worker should serve it: a descriptor to accept on (a duplicate the worker
// owns) and the context for its connections.
struct ListenerAssignment {
  std::string key;  // bind text: listeners with the same bind keep their socket across reloads
  int fd = -1;
  bool ipv6 = false;
  std::shared_ptr<const http::ListenerContext> context;
};

// One event-loop thread. Owns its io_context, its acceptors (one per listener, SO_REUSEPORT),
// its sessions, its upstream pool. Everything here runs on that thread; the control thread only
// posts to it (apply, shutdown). Thread: public methods may be called from the control thread.
class Worker {
 public:
  Worker(unsigned index, std::shared_ptr<std::atomic<std::int64_t>> connections);
  ~Worker();

  void start();
  // Publishes a new snapshot: new listeners start accepting, removed ones stop, existing ones
  // switch their context for new exchanges. Takes ownership of the descriptors.
  void apply(std::vector<ListenerAssignment> listeners);
  // Stops accepting and drains; `on_drained` runs (on this worker's thread) once no session is
  // left.
  void shutdown(std::function<void()> on_drained);
  // Runs `task` on this worker's thread with its context (e.g. closing pooled connections).
  void post(std::function<void(http::WorkerContext&)> task);
  // Ends the event loop (after drain, or when the shutdown timeout passed) and joins.
  void stop();

  unsigned index() const { return index_; }
  boost::asio::io_context& io() { return io_; }

 private:
  struct Acceptor;
  void apply_here(std::vector<ListenerAssignment>& listeners);
  void check_drained();

  unsigned index_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::optional<http::WorkerContext> context_;
  std::map<std::string, std::shared_ptr<Acceptor>> acceptors_;
  std::function<void()> on_drained_;
  std::thread thread_;
};

}  // namespace albatross::server
