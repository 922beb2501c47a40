#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "albatross/common/host_port.hpp"
#include "albatross/config/listener_config.hpp"

namespace albatross::server {

// The listening sockets of one bind address: one per worker, all bound with SO_REUSEPORT so the
// kernel spreads new connections across workers with no shared accept lock. Created on the
// control thread (where a bind failure can still fail a start or a reload cleanly); workers
// accept on duplicates of these descriptors. Owning: closes its descriptors when destroyed.
class ListenSocketSet {
 public:
  // Binds `count` sockets to `address` (port 0: the kernel picks one, then all share it).
  static std::unique_ptr<ListenSocketSet> bind(const HostPort& address, unsigned count,
                                               std::string& error);
  // The key that names a listener's socket set across snapshots: the bind text, qualified by the
  // listener's name when the port is 0 (each such listener binds a port of its own).
  static std::string key_for(const config::ListenerConfig& listener);
  ~ListenSocketSet();
  ListenSocketSet(const ListenSocketSet&) = delete;
  ListenSocketSet& operator=(const ListenSocketSet&) = delete;

  int fd(unsigned worker) const { return fds_[worker % fds_.size()]; }
  std::uint16_t port() const { return port_; }
  bool ipv6() const { return ipv6_; }
  const std::string& key() const { return key_; }  // the declared bind text

 private:
  ListenSocketSet() = default;
  std::vector<int> fds_;
  std::uint16_t port_ = 0;
  bool ipv6_ = false;
  std::string key_;
};

}  // namespace albatross::server
