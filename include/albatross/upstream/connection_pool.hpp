#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "albatross/upstream/upstream_connection.hpp"

namespace albatross::upstream {

// A worker's idle keep-alive connections, per target (keyed by the target's observed state,
// which is stable across reloads). Each idle connection is watched: if the target closes it
// or sends anything unsolicited it leaves the pool at once, so a dead connection is rarely
// handed out; the keep-alive deadline closes it once idle too long. Thread: the worker's.
class ConnectionPool {
 public:
  ConnectionPool() = default;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  // The most recently used idle connection to `target`, or nullptr.
  std::shared_ptr<UpstreamConnection> acquire(const TargetState* target);
  // Parks a connection whose exchange completed cleanly with keep-alive on both sides.
  void release(std::shared_ptr<UpstreamConnection> connection, std::chrono::milliseconds keepalive,
               std::size_t max_idle);
  // Closes every idle connection (shutdown), or those of one target (drained).
  void close_all();
  void close_for(const TargetState* target);

 private:
  friend class UpstreamConnection;
  void remove(UpstreamConnection* connection);
  void watch(const std::shared_ptr<UpstreamConnection>& connection);

  std::unordered_map<const TargetState*, std::vector<std::shared_ptr<UpstreamConnection>>> idle_;
};

}  // namespace albatross::upstream
