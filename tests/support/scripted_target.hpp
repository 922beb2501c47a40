#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace albatross::testing {

// A raw TCP target on 127.0.0.1 port 0 that answers each request with exactly the bytes a test
// scripts, for the responses a well-behaved server never sends (conflicting framing, 1xx, early
// closes, the keep-alive race). It reads a request (head, then a Content-Length or chunked
// body), asks the script for the reply, writes it, and closes if told to.
// Thread: one thread accepts, one thread per connection; the accessors are thread-safe.
class ScriptedTarget {
 public:
  struct Reply {
    std::string bytes;   // written as is (nothing when empty)
    bool close = false;  // close the connection after writing
  };
  // `index` counts requests across all connections, from 0.
  using Script = std::function<Reply(std::size_t index, const std::string& request)>;

  explicit ScriptedTarget(Script script);
  ~ScriptedTarget();
  ScriptedTarget(const ScriptedTarget&) = delete;
  ScriptedTarget& operator=(const ScriptedTarget&) = delete;

  std::uint16_t port() const { return port_; }
  std::size_t connections() const { return connections_.load(); }
  std::size_t requests() const { return requests_.load(); }
  // Every request read so far (head and body), in arrival order.
  std::vector<std::string> requests_seen() const;
  // The connection (numbered from 0 in accept order) each of requests_seen() arrived on.
  std::vector<std::size_t> request_connections() const;
  // Every byte received on `connection`, framed as a request or not.
  std::string received_on(std::size_t connection) const;
  // Whether the peer (albatross) closed or reset `connection`; false while it is open.
  bool closed_by_peer(std::size_t connection) const;
  // Bytes received on all connections so far.
  std::size_t bytes_received() const;

 private:
  struct ConnectionLog {
    std::string received;
    bool peer_closed = false;
  };

  void accept_loop();
  void serve(int fd, std::size_t connection);

  Script script_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<int> open_fds_;                   // guarded by mutex_
  std::vector<std::thread> servers_;            // guarded by mutex_
  std::vector<std::string> seen_;               // guarded by mutex_
  std::vector<std::size_t> seen_connections_;   // guarded by mutex_
  std::vector<ConnectionLog> connection_logs_;  // guarded by mutex_, by connection number
  std::size_t bytes_received_ = 0;              // guarded by mutex_
};

}  // namespace albatross::testing
