#include "albatross/common/cidr.hpp"

#include <doctest/doctest.h>

namespace albatross {
namespace {

IpAddress ip(std::string_view text) {
  std::optional<IpAddress> address = parse_ip_address(text);
  REQUIRE_MESSAGE(address.has_value(), std::string(text));
  return *address;
}

Cidr cidr(std::string_view text) {
  std::string error;
  std::optional<Cidr> value = parse_cidr(text, &error);
  REQUIRE_MESSAGE(value.has_value(), error);
  return *value;
}

// The reason `text` is refused; it never repeats the text itself.
std::string rejection(std::string_view text) {
  std::string reason;
  CHECK_MESSAGE(!parse_cidr(text, &reason).has_value(), "accepted \"", std::string(text), '"');
  CHECK_FALSE(reason.empty());
  CHECK_MESSAGE(reason.find(std::string(text)) == std::string::npos, reason);
  return reason;
}

TEST_CASE("parse_ip_address reads IPv4 and IPv6; IPv4-mapped peers compare as IPv4") {
  CHECK(ip("10.1.2.3").v4);
  CHECK_FALSE(ip("2001:db8::1").v4);
  CHECK(ip("10.1.2.3") == IpAddress::from_v4({10, 1, 2, 3}));
  std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  CHECK(IpAddress::from_v6(mapped) == ip("10.1.2.3"));
  CHECK_FALSE(parse_ip_address("10.1.2").has_value());
  CHECK_FALSE(parse_ip_address("10.1.2.256").has_value());
  CHECK_FALSE(parse_ip_address("").has_value());
  CHECK_FALSE(parse_ip_address("[::1]").has_value());
  CHECK_FALSE(parse_ip_address("example.com").has_value());
}

TEST_CASE("Cidr::contains compares the prefix bits, within one family") {
  Cidr ten = cidr("10.0.0.0/8");
  CHECK(ten.contains(ip("10.0.0.0")));
  CHECK(ten.contains(ip("10.255.255.255")));
  CHECK_FALSE(ten.contains(ip("11.0.0.0")));
  CHECK_FALSE(ten.contains(ip("9.255.255.255")));
  CHECK_FALSE(ten.contains(ip("::a00:1")));  // IPv6, even if the bytes looked alike

  Cidr odd = cidr("192.168.4.0/22");  // 192.168.4.0 - 192.168.7.255
  CHECK(odd.contains(ip("192.168.7.255")));
  CHECK(odd.contains(ip("192.168.4.0")));
  CHECK_FALSE(odd.contains(ip("192.168.8.0")));
  CHECK_FALSE(odd.contains(ip("192.168.3.255")));

  Cidr host = cidr("127.0.0.1/32");
  CHECK(host.contains(ip("127.0.0.1")));
  CHECK_FALSE(host.contains(ip("127.0.0.2")));

  Cidr all4 = cidr("0.0.0.0/0");
  CHECK(all4.contains(ip("255.255.255.255")));
  CHECK_FALSE(all4.contains(ip("::1")));

  Cidr doc = cidr("2001:db8::/33");
  CHECK(doc.contains(ip("2001:db8:7fff::1")));
  CHECK_FALSE(doc.contains(ip("2001:db8:8000::1")));
  CHECK_FALSE(doc.contains(ip("10.0.0.1")));
  Cidr loop6 = cidr("::1/128");
  CHECK(loop6.contains(ip("::1")));
  CHECK_FALSE(loop6.contains(ip("::2")));
  CHECK(cidr("::/0").contains(ip("fe80::1")));
}

TEST_CASE("parse_cidr refuses missing prefixes, bad lengths and bits beyond the prefix") {
  CHECK(rejection("10.0.0.0").find("expected \"address/prefix\"") != std::string::npos);
  CHECK(rejection("10.0.0.0/33").find("0..32") != std::string::npos);
  CHECK(rejection("::/129").find("0..128") != std::string::npos);
  rejection("10.0.0.0/");
  rejection("10.0.0.0/-1");
  rejection("10.0.0.0/8x");
  rejection("10.0.0.0/ 8");
  CHECK(rejection("10.0.0/8") == "\"10.0.0\" is not an IPv4 or IPv6 address");
  rejection("host.example/8");
  CHECK(rejection("10.0.0.1/8").find("the network is 10.0.0.0/8") != std::string::npos);
  CHECK(rejection("2001:db8::1/32").find("the network is 2001:db8::/32") != std::string::npos);
  CHECK(cidr("10.0.0.0/8").to_string() == "10.0.0.0/8");
  CHECK(cidr("2001:DB8::/32").to_string() == "2001:db8::/32");
}

}  // namespace
}  // namespace albatross
