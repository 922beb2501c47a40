#include "support/unresponsive_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace albatross::testing {

UnresponsiveListener::UnresponsiveListener() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 0) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("unresponsive listener: " + std::string(std::strerror(errno)));
  }
  port_ = ntohs(address.sin_port);
  // Fill the accept queue: connect until one connect is left pending (its SYN dropped). The
  // kernel completes handshakes on loopback within the connect call's softirq, so a connect
  // still pending after a short poll is one whose SYN was dropped.
  for (int i = 0; i < 16; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fillers_.push_back(fd);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    if (rc == 0) continue;
    if (errno != EINPROGRESS) throw std::runtime_error("filler connect failed");
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 100) == 0) return;  // this SYN went unanswered: the queue is full
  }
  throw std::runtime_error("unresponsive listener: the accept queue never filled");
}

UnresponsiveListener::~UnresponsiveListener() {
  for (int fd : fillers_)
    ::close(fd);
  if (listener_ >= 0) ::close(listener_);
}

}  // namespace albatross::testing
