// Targets that misbehave: a response head over 32 KiB, a reset mid-response, a close before any
// response, garbage instead of HTTP. The client of that exchange gets 502 (or, once the head
// was already forwarded, a cut-off response and a closed connection); other clients carry on.
#include <doctest/doctest.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

void expect_bad_gateway(std::uint16_t port, const std::string& target) {
  HttpClient client(port);
  HttpResponse response = client.get(target, after(seconds(5)));
  CHECK(response.status == 502);
  CHECK(response.connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("misbehaving target responses give 502 to their client only") {
  Targets targets({"t1"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t port = albatross.port("web");
  HttpClient bystander(port);
  REQUIRE(bystander.get("/").status == 200);

  SUBCASE("a response head over 32 KiB") {
    expect_bad_gateway(port, "/misbehave/huge-header");
  }
  SUBCASE("the target closes before sending a response") {
    expect_bad_gateway(port, "/misbehave/close");
  }
  SUBCASE("the target sends something that is not HTTP") {
    expect_bad_gateway(port, "/misbehave/no-framing");
  }
  SUBCASE("the target resets the connection mid-response") {
    // The head (Content-Length: 100000) is forwarded before the reset: the client cannot get a
    // 502 any more, so it must see the body cut off and the connection closed, never a
    // complete response.
    HttpClient client(port);
    client.connect();
    REQUIRE(client.send("GET /misbehave/reset HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    if (response && response->status != 502) {
      CHECK(response->status == 200);
      CHECK_FALSE(response->complete);
      CHECK(response->body_size < 100000);
      CHECK(client.server_closed());
    } else {
      REQUIRE(response);
      CHECK(response->status == 502);
    }
  }
  // The bystander's connection and exchanges are untouched.
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = bystander.get("/");
    CHECK(response.status == 200);
    CHECK_FALSE(response.connection_close());
  }
  CHECK_FALSE(bystander.server_closed());
  HttpClient fresh(port);
  CHECK(fresh.get("/").status == 200);
}

}  // namespace
}  // namespace albatross::testing
