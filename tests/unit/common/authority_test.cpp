#include "albatross/common/authority.hpp"

#include <doctest/doctest.h>

namespace albatross {
namespace {

Authority at(std::string host, std::optional<std::uint16_t> port) {
  return Authority{std::move(host), port};
}

TEST_CASE("parse_authority lower-cases, trims one trailing dot and strips IPv6 brackets") {
  CHECK(parse_authority("LocalHost:9901") == at("localhost", 9901));
  CHECK(parse_authority("localhost.:9901") == at("localhost", 9901));
  CHECK(parse_authority("localhost..:9901") == at("localhost.", 9901));
  CHECK(parse_authority("127.0.0.1") == at("127.0.0.1", std::nullopt));
  CHECK(parse_authority("[::1]:9901") == at("::1", 9901));
  CHECK(parse_authority("[FD00::A]") == at("fd00::a", std::nullopt));
  CHECK(parse_authority("albatross.internal:1") == at("albatross.internal", 1));
  CHECK(parse_authority("albatross.internal:1")->to_string() == "albatross.internal:1");
  CHECK(parse_authority("[::1]:9901")->to_string() == "[::1]:9901");
}

TEST_CASE("parse_authority refuses anything that is not host[:port]") {
  for (std::string_view text : {"",
                                ":9901",
                                "localhost:",
                                "localhost:0",
                                "localhost:65536",
                                "localhost:+80",
                                "localhost:80:80",
                                "user@localhost:9901",
                                "localhost/x",
                                "local host",
                                "::1",
                                "[::1",
                                "[::1]x",
                                "[]:80",
                                "[::g]:80",
                                ".",
                                "-a.example",
                                "localhost:123456",
                                "localhost\t",
                                "*.example"}) {
    CHECK_MESSAGE(!parse_authority(text).has_value(), "accepted \"", std::string(text), '"');
  }
}

}  // namespace
}  // namespace albatross
