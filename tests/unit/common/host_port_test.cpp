#include "albatross/common/host_port.hpp"

#include <doctest/doctest.h>

namespace albatross {
namespace {

std::string rejection(std::string_view text, bool allow_port_zero = false) {
  std::string error;
  std::optional<HostPort> value = parse_host_port(text, &error, allow_port_zero);
  CHECK_MESSAGE(!value.has_value(), "accepted \"", std::string(text), '"');
  CHECK_MESSAGE(error.find(std::string(text)) != std::string::npos,
                "error does not quote the input: ", error);
  return error;
}

TEST_CASE("parse_host_port reads IPv4 addresses and names") {
  CHECK(parse_host_port("127.0.0.1:8080") == HostPort{"127.0.0.1", 8080});
  CHECK(parse_host_port("example.com:443") == HostPort{"example.com", 443});
  CHECK(parse_host_port("app-1.internal_zone:1") == HostPort{"app-1.internal_zone", 1});
  CHECK(parse_host_port("localhost:65535") == HostPort{"localhost", 65535});
  CHECK(parse_host_port("h:00080") == HostPort{"h", 80});
}

TEST_CASE("parse_host_port reads bracketed IPv6 literals") {
  auto v6 = parse_host_port("[::1]:8080");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);
  CHECK(v6->is_ipv6_literal());
  CHECK(v6->to_string() == "[::1]:8080");
  CHECK(parse_host_port("[2001:db8::7]:443") == HostPort{"2001:db8::7", 443});
  CHECK(parse_host_port("[fe80::1%eth0]:80") == HostPort{"fe80::1%eth0", 80});
}

TEST_CASE("HostPort::to_string brackets only IPv6 literals") {
  CHECK(HostPort{"127.0.0.1", 80}.to_string() == "127.0.0.1:80");
  CHECK_FALSE(HostPort{"127.0.0.1", 80}.is_ipv6_literal());
  CHECK(HostPort{"::", 9}.to_string() == "[::]:9");
}

TEST_CASE("parse_host_port requires a port") {
  CHECK(rejection("localhost").find("expected \"host:port\"") != std::string::npos);
  CHECK(rejection("localhost:").find("port must be 1..65535") != std::string::npos);
  CHECK(rejection("[::1]").find("[ipv6]:port") != std::string::npos);
  CHECK(rejection("[::1]:").find("port must be 1..65535") != std::string::npos);
  CHECK(rejection("[::1]8080").find("[ipv6]:port") != std::string::npos);
  CHECK(rejection("[::1:8080").find("[ipv6]:port") != std::string::npos);
  rejection("");
}

TEST_CASE("parse_host_port allows port 0 only when asked") {
  CHECK(rejection("127.0.0.1:0").find("port must be 1..65535") != std::string::npos);
  CHECK(rejection("[::1]:0").find("port must be 1..65535") != std::string::npos);
  CHECK(parse_host_port("127.0.0.1:0", nullptr, true) == HostPort{"127.0.0.1", 0});
  CHECK(parse_host_port("[::1]:0", nullptr, true) == HostPort{"::1", 0});
  CHECK(parse_host_port("127.0.0.1:1", nullptr, true) == HostPort{"127.0.0.1", 1});
}

TEST_CASE("parse_host_port rejects out-of-range and non-numeric ports") {
  for (const char* text :
       {"h:65536", "h:99999", "h:123456", "h:-1", "h:+80", "h:8a", "h: 80", "h:80 ", "h:0x50"}) {
    CAPTURE(text);
    rejection(text);
  }
  // Port 0 with leading zeros is still zero.
  rejection("h:00000");
  CHECK(parse_host_port("h:00000", nullptr, true)->port == 0);
}

TEST_CASE("parse_host_port rejects bad characters and empty hosts") {
  CHECK(rejection(":80").find("empty host") != std::string::npos);
  CHECK(rejection("[]:80").find("empty host") != std::string::npos);
  for (const char* text : {"ho st:80", "host/x:80", "h@x:80", "h\tx:80", "[::1 ]:80", "h?:80",
                           "h#:80", "ex\xc3\xa4mple:80"}) {
    CAPTURE(text);
    CHECK(rejection(text).find("bad character") != std::string::npos);
  }
}

TEST_CASE("parse_host_port asks for brackets around IPv6 literals") {
  CHECK(rejection("::1:80").find("[addr]:port") != std::string::npos);
  CHECK(rejection("2001:db8::1:443").find("[addr]:port") != std::string::npos);
}

TEST_CASE("parse_host_port without an error sink") {
  CHECK_FALSE(parse_host_port("nope").has_value());
  CHECK_FALSE(parse_host_port("h:0").has_value());
}

}  // namespace
}  // namespace albatross
