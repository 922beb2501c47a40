#include "albatross/server/listen_socket_set.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace albatross::server {
namespace {

// Accepted sockets inherit the listening socket's TCP options: the session sets none of its own.
TEST_CASE("ListenSocketSet: accepted sockets have TCP_NODELAY and TCP_NOTSENT_LOWAT") {
  std::string error;
  auto sockets = ListenSocketSet::bind(HostPort{"127.0.0.1", 0}, 1, error);
  REQUIRE_MESSAGE(sockets != nullptr, error);

  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(client >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(sockets->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  int accepted = ::accept(sockets->fd(0), nullptr, nullptr);
  REQUIRE(accepted >= 0);

  int nodelay = 0;
  socklen_t length = sizeof nodelay;
  REQUIRE(::getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length) == 0);
  CHECK(nodelay != 0);
  int lowat = 0;
  length = sizeof lowat;
  REQUIRE(::getsockopt(accepted, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &length) == 0);
  CHECK(lowat == 16 * 1024);
  ::close(accepted);
  ::close(client);
}

}  // namespace
}  // namespace albatross::server
