#include "albatross/discovery/resolv_conf.hpp"

#include <doctest/doctest.h>

namespace albatross::discovery {
namespace {

TEST_CASE("ResolvConf reads nameserver lines in order, port 53") {
  auto servers = ResolvConf::nameservers(
      "# comment\nsearch example.internal\nnameserver 10.0.0.2\n"
      "nameserver   fe80::1%eth0\nnameserver not-an-address\noptions ndots:2\n"
      "nameserver 1.1.1.1 # trailing\n");
  REQUIRE(servers.size() == 3);
  CHECK(servers[0].address().to_string() == "10.0.0.2");
  CHECK(servers[0].port() == 53);
  CHECK(servers[1].address().to_string() == "fe80::1");
  CHECK(servers[2].address().to_string() == "1.1.1.1");
}

TEST_CASE("ResolvConf: no nameserver means 127.0.0.1:53, as glibc") {
  auto servers = ResolvConf::nameservers("search x\n");
  REQUIRE(servers.size() == 1);
  CHECK(servers[0].address().to_string() == "127.0.0.1");
  CHECK(ResolvConf::load("/nonexistent/resolv.conf").size() == 1);
}

}  // namespace
}  // namespace albatross::discovery
