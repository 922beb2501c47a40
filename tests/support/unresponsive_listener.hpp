#pragma once

#include <cstdint>
#include <vector>

namespace albatross::testing {

// A loopback port whose SYNs go unanswered: a listening socket with the smallest backlog, filled
// by connections of its own and never accepted. Linux drops SYNs for a listener whose accept
// queue is full, so a connect to it neither succeeds nor is refused: it times out. Stands in
// for a target behind a black-holing firewall. Thread: the test's.
class UnresponsiveListener {
 public:
  UnresponsiveListener();
  ~UnresponsiveListener();
  UnresponsiveListener(const UnresponsiveListener&) = delete;
  UnresponsiveListener& operator=(const UnresponsiveListener&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  std::vector<int> fillers_;
  std::uint16_t port_ = 0;
};

}  // namespace albatross::testing
