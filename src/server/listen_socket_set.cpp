#include "albatross/server/listen_socket_set.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "albatross/common/str_cat.hpp"

namespace albatross::server {

namespace {

// Unsent bytes the kernel may hold for one client connection before a write waits
// (TCP_NOTSENT_LOWAT, inherited by accepted sockets): one relay piece. Without it the send
// buffer grows to tcp_wmem's maximum (4 MiB) whatever the client reads, so a slow reader's
// response was taken whole, its write never timed out, and 1,000 slow readers held the host's
// whole TCP memory (tcp_mem), stalling every socket. Bytes in flight are not counted: a fast
// client is not slowed down.
constexpr int kNotSentLowat = 16 * 1024;

}  // namespace

std::unique_ptr<ListenSocketSet> ListenSocketSet::bind(const HostPort& address, unsigned count,
                                                       std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    error = str_cat("cannot resolve ", address.host, ": ", gai_strerror(rc));
    return nullptr;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  std::unique_ptr<ListenSocketSet> set(new ListenSocketSet());
  set->key_ = address.to_string();
  set->ipv6_ = found->ai_family == AF_INET6;
  sockaddr_storage bind_address{};
  std::memcpy(&bind_address, found->ai_addr, found->ai_addrlen);
  socklen_t bind_length = found->ai_addrlen;
  for (unsigned i = 0; i < count; ++i) {
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = str_cat("socket: ", std::strerror(errno));
      return nullptr;
    }
    set->fds_.push_back(fd);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // "[::]:80" and "0.0.0.0:80" are separate listeners, as in nginx.
    if (set->ipv6_) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &kNotSentLowat, sizeof kNotSentLowat) !=
        0) {
      error = str_cat("cannot set TCP_NOTSENT_LOWAT: ", std::strerror(errno));
      return nullptr;
    }
    // Accepted sockets inherit TCP_NODELAY: one setsockopt per listener instead of one per
    // client connection (responses are written whole, Nagle only delays their last segment).
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
      error = str_cat("cannot set TCP_NODELAY: ", std::strerror(errno));
      return nullptr;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&bind_address), bind_length) != 0) {
      error = str_cat("cannot bind ", address.to_string(), ": ", std::strerror(errno));
      return nullptr;
    }
    if (i == 0) {
      // With port 0 the first bind picks the port; the others must join it.
      sockaddr_storage actual{};
      socklen_t length = sizeof actual;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&actual), &length);
      std::uint16_t port = actual.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&actual)->sin_port);
      set->port_ = port;
      if (bind_address.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&bind_address)->sin6_port = htons(port);
      } else {
        reinterpret_cast<sockaddr_in*>(&bind_address)->sin_port = htons(port);
      }
    }
    if (::listen(fd, SOMAXCONN) != 0) {
      error = str_cat("cannot listen on ", address.to_string(), ": ", std::strerror(errno));
      return nullptr;
    }
  }
  return set;
}

std::string ListenSocketSet::key_for(const config::ListenerConfig& listener) {
  std::string key = listener.bind.to_string();
  if (listener.bind.port == 0) str_append(key, str_cat('/', listener.name));
  return key;
}

ListenSocketSet::~ListenSocketSet() {
  for (int fd : fds_)
    ::close(fd);
}

}  // namespace albatross::server
