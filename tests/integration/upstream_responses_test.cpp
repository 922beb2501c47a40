// Responses only a scripted target sends: Connection: close, the keep-alive race (a pooled
// connection closed as it is reused), conflicting or missing framing, 1xx before the final
// response, an unrequested 101, a broken chunked body.
#include <doctest/doctest.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/scripted_target.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;
using Reply = ScriptedTarget::Reply;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// One worker, so a client's second request meets the connection its first one pooled.
std::string config_for(const ScriptedTarget& target) {
  return ConfigText().threads(1).listener("web", "app").target_group("app", {target.port()}).str();
}

TEST_CASE("a target's Connection: close ends that target connection, not the client's") {
  ScriptedTarget target([](std::size_t, const std::string&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  for (int i = 0; i < 5; ++i) {
    HttpResponse response = client.get("/");
    CHECK(response.status == 200);
    CHECK(response.body == "ok");
    CHECK_FALSE(response.connection_close());
  }
  CHECK_FALSE(client.server_closed());
  CHECK(target.connections() == 5);
}

TEST_CASE("the keep-alive race: a reused connection closed without an answer") {
  // Request 1 arrives on the connection pooled after request 0; the target drops it unanswered,
  // as a server does when its keep-alive timer fired just as the request was sent.
  ScriptedTarget target([](std::size_t index, const std::string&) {
    return index == 1 ? Reply{"", true} : Reply{kOk, false};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  REQUIRE(client.get("/").status == 200);

  SUBCASE("an idempotent request is retried once on a new connection") {
    HttpResponse response = client.get("/again");
    CHECK(response.status == 200);
    CHECK(response.body == "ok");
    CHECK(target.requests() == 3);
    CHECK(target.connections() == 2);
    CHECK_FALSE(client.server_closed());
  }
  SUBCASE("a POST is not retried: 502") {
    HttpResponse response = client.request("POST", "/form", "", "a=1");
    CHECK(response.status == 502);
    CHECK(target.requests() == 2);
  }
}

TEST_CASE("a response with Content-Length and Transfer-Encoding: chunked decides, then close") {
  ScriptedTarget target([](std::size_t, const std::string&) {
    return Reply{
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n",
        false};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  HttpResponse response = client.get("/");
  CHECK(response.status == 200);
  CHECK(response.body == "hello");
  CHECK(response.header_count("Content-Length") == 0);
  // The target connection is not trusted again: the next exchange opens a new one.
  CHECK(client.get("/").body == "hello");
  CHECK(target.connections() == 2);
}

TEST_CASE("responses with broken framing are answered 502") {
  std::string reply;
  SUBCASE("two different Content-Length values") {
    reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok";
  }
  SUBCASE("a Content-Length that is not a number") {
    reply = "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok";
  }
  SUBCASE("chunked twice") {
    reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n";
  }
  SUBCASE("obs-fold") {
    reply = "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok";
  }
  SUBCASE("a status line that is not HTTP/1.x") {
    reply = "HTTP/2 200\r\n\r\n";
  }
  SUBCASE("101 to a request that asked for no upgrade") {
    reply = "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n";
  }
  ScriptedTarget target([&](std::size_t, const std::string&) { return Reply{reply, false}; });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  CAPTURE(reply);
  HttpClient client(albatross.port("web"));
  HttpResponse response = client.get("/");
  CHECK(response.status == 502);
  CHECK(response.connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("a response delimited by close reaches an HTTP/1.1 client chunked, keep-alive intact") {
  ScriptedTarget target([](std::size_t, const std::string&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  HttpResponse response = client.get("/");
  CHECK(response.status == 200);
  CHECK(response.header("Transfer-Encoding") == "chunked");
  CHECK(response.body == "until the end");
  CHECK_FALSE(response.connection_close());
  CHECK(client.get("/").body == "until the end");
  CHECK_FALSE(client.server_closed());
}

TEST_CASE("103 Early Hints is passed on before the final response") {
  ScriptedTarget target([](std::size_t, const std::string&) {
    return Reply{"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + kOk,
                 false};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  client.connect();
  REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  auto hints = client.read_response(after(seconds(5)));
  REQUIRE(hints);
  CHECK(hints->status == 103);
  CHECK(hints->header("Link") == "</style.css>; rel=preload");
  auto final_response = client.read_response(after(seconds(5)));
  REQUIRE(final_response);
  CHECK(final_response->status == 200);
  CHECK(final_response->body == "ok");
}

TEST_CASE("a chunked response body that breaks off mid-way: the client sees it cut, then close") {
  ScriptedTarget target([](std::size_t, const std::string&) {
    return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
                 false};
  });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  client.connect();
  REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK_FALSE(response->complete);
  CHECK(client.server_closed());
}

TEST_CASE("what the target receives is one clean HTTP/1.1 request") {
  ScriptedTarget target([](std::size_t, const std::string&) { return Reply{kOk, false}; });
  AlbatrossProcess albatross(config_for(target));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  client.connect();
  REQUIRE(
      client.send("POST /p%20q?x=1 HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
                  after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  std::vector<std::string> seen = target.requests_seen();
  REQUIRE(seen.size() == 1);
  const std::string& request = seen[0];
  CAPTURE(request);
  CHECK(request.starts_with("POST /p%20q?x=1 HTTP/1.1\r\n"));
  CHECK(request.find("Host: example.test\r\n") != std::string::npos);
  CHECK(request.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  // Re-encoded: extensions and trailers gone, the data intact.
  CHECK(request.ends_with("\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
}

}  // namespace
}  // namespace albatross::testing
