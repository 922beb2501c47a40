#include "albatross/discovery/hosts_file.hpp"

#include <doctest/doctest.h>

namespace albatross::discovery {
namespace {

TEST_CASE("HostsFile knows every name and alias, case-insensitively, comments ignored") {
  HostsFile hosts = HostsFile::parse(
      "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost # loopback\n"
      "# 10.0.0.9 commented.example\n10.0.0.5 App.Internal app\n\n   \n");
  CHECK(hosts.contains("localhost"));
  CHECK(hosts.contains("ip6-localhost"));
  CHECK(hosts.contains("app.internal."));
  CHECK(hosts.contains("APP"));
  CHECK_FALSE(hosts.contains("commented.example"));
  CHECK_FALSE(hosts.contains("loopback"));
  CHECK_FALSE(hosts.contains("10.0.0.5"));
  CHECK_FALSE(HostsFile::load("/nonexistent/hosts").contains("localhost"));
}

}  // namespace
}  // namespace albatross::discovery
