// The request head a target receives: X-Forwarded-For appended, X-Forwarded-Proto/-Port set by
// albatross, X-Request-Id kept or generated, hop-by-hop fields removed (seen through /headers).
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

// "/headers" answers "METHOD TARGET\n" then one "name: value" line per field.
struct SeenHead {
  std::string request_line;
  std::multimap<std::string, std::string> fields;  // lower-case names

  explicit SeenHead(const std::string& body) {
    std::istringstream in(body);
    std::getline(in, request_line);
    for (std::string line; std::getline(in, line);) {
      auto colon = line.find(": ");
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      fields.emplace(name, colon == std::string::npos ? "" : line.substr(colon + 2));
    }
  }
  std::size_t count(const std::string& name) const { return fields.count(name); }
  std::string value(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? "<absent>" : it->second;
  }
};

struct Fixture {
  Targets targets{{"t1"}};
  AlbatrossProcess albatross{
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str()};
  Fixture() { albatross.start(); }
  std::uint16_t port() const { return albatross.port("web"); }
};

TEST_CASE("X-Forwarded-For, -Proto and -Port") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  SUBCASE("set when the client sent none") {
    SeenHead seen(client.get("/headers").body);
    CHECK(seen.value("x-forwarded-for") == "127.0.0.1");
    CHECK(seen.value("x-forwarded-proto") == "http");
    CHECK(seen.value("x-forwarded-port") == std::to_string(f.port()));
  }
  SUBCASE("the client address is appended to what the client sent; Proto and Port replaced") {
    SeenHead seen(client
                      .request("GET", "/headers",
                               "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.1, "
                               "192.0.2.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\n")
                      .body);
    CHECK(seen.count("x-forwarded-for") == 1);
    CHECK(seen.value("x-forwarded-for") == "203.0.113.7, 198.51.100.1, 192.0.2.9, 127.0.0.1");
    CHECK(seen.count("x-forwarded-proto") == 1);
    CHECK(seen.value("x-forwarded-proto") == "http");
    CHECK(seen.count("x-forwarded-port") == 1);
    CHECK(seen.value("x-forwarded-port") == std::to_string(f.port()));
  }
}

TEST_CASE("X-Request-Id is generated when absent or unusable and kept when valid") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  SeenHead first(client.get("/headers").body);
  SeenHead second(client.get("/headers").body);
  std::string id = first.value("x-request-id");
  CHECK(id.size() == 32);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(second.value("x-request-id") != id);  // fresh per request

  SeenHead kept(client.request("GET", "/headers", "X-Request-Id: my-trace.id:42\r\n").body);
  CHECK(kept.count("x-request-id") == 1);
  CHECK(kept.value("x-request-id") == "my-trace.id:42");

  SeenHead replaced(
      client.request("GET", "/headers", "X-Request-Id: has spaces and \"quotes\"\r\n").body);
  CHECK(replaced.count("x-request-id") == 1);
  CHECK(replaced.value("x-request-id").size() == 32);
}

TEST_CASE("hop-by-hop fields are not forwarded; end-to-end ones are, Host included") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse response = client.request(
      "GET", "/headers?q=1",
      "Connection: keep-alive, X-Private-Hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
      "Proxy-Connection: keep-alive\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\n"
      "X-Private-Hop: secret\r\nX-End-To-End: kept\r\nUser-Agent: integration-test\r\n");
  REQUIRE(response.status == 200);
  SeenHead seen(response.body);
  CHECK(seen.request_line == "GET /headers?q=1");
  for (std::string hop :
       {"keep-alive", "te", "proxy-connection", "trailer", "upgrade", "x-private-hop"}) {
    CAPTURE(hop);
    CHECK(seen.count(hop) == 0);
  }
  CHECK(seen.value("connection") != "keep-alive, X-Private-Hop");
  CHECK(seen.value("x-end-to-end") == "kept");
  CHECK(seen.value("user-agent") == "integration-test");
  CHECK(seen.value("host") == "127.0.0.1:" + std::to_string(f.port()));
  // The response side: the target's own hop-by-hop framing is albatross's business.
  CHECK(response.header_count("Content-Length") == 1);
  CHECK(response.header("X-Target") == "t1");
}

}  // namespace
}  // namespace albatross::testing
