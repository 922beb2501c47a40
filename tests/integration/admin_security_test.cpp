// The admin endpoint against web pages: Host pinning (DNS rebinding), the Origin and
// Sec-Fetch-Site checks on state changes (cross-site form posts), POST-only state changes, the
// security headers on every response and no CORS, the refusal counter and its rate-limited log.
#include <doctest/doctest.h>

#include "albatross/common/ascii.hpp"
#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kForm = "application/x-www-form-urlencoded";

// One request with exactly these header lines (each CRLF-terminated; Host among them or not),
// on its own connection.
HttpResponse raw(std::uint16_t port, std::string_view method, std::string_view target,
                 std::string_view headers, std::string_view body = "",
                 std::string_view version = "HTTP/1.1") {
  HttpClient client(port);
  client.connect();
  std::string text = std::string(method) + " " + std::string(target) + " " + std::string(version) +
                     "\r\n" + std::string(headers);
  if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "Connection: close\r\n\r\n" + std::string(body);
  REQUIRE(client.send(text, after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE_MESSAGE(response, client.error());
  return *response;
}

std::string host_line(std::string_view host) {
  return "Host: " + std::string(host) + "\r\n";
}

struct Endpoint {
  Endpoint()
      : targets({"a"}),
        albatross(ConfigText()
                      .admin("127.0.0.1:0")
                      .global("admin_allowed_hosts = [\"albatross.test\", \"tunnel.test:8080\"]")
                      .listener("web", "app")
                      .target_group("app", targets.ports())
                      .str()) {
    albatross.start();
    port = albatross.admin_port();
    target = loopback(targets.port(0));
    drain_form = "target_group=app&target=" + target;
  }
  std::string own(std::string_view host = "127.0.0.1") const {
    return std::string(host) + ":" + std::to_string(port);
  }
  // "unavailable" (health checks off) until drained, then "draining".
  std::string state() { return AdminClient(port).target_state("app", target); }

  Targets targets;
  AlbatrossProcess albatross;
  std::uint16_t port = 0;
  std::string target;
  std::string drain_form;
};

TEST_CASE("the admin endpoint answers only requests whose Host names it") {
  Endpoint e;
  INFO("albatross log:\n" << e.albatross.stderr_text());
  for (std::string host :
       {e.own(), e.own("localhost"), e.own("LocalHost."), e.own("[::1]"), e.own("albatross.test"),
        e.own("Albatross.Test."), std::string("tunnel.test:8080"), std::string("127.0.0.1"),
        std::string("localhost")}) {
    CAPTURE(host);
    HttpResponse r = raw(e.port, "GET", "/status", host_line(host));
    CHECK(r.status == 200);
    CHECK(r.body.starts_with("{"));
  }
  for (std::string host :
       {e.own("evil.example"), e.own("127.0.0.1.evil.example"), e.own("localhost.evil.example"),
        e.own("evil.example.localhost"), e.own("localhost.."), e.own("127.1"),
        std::string("evil.example"), std::string("localhost:1"), std::string("albatross.test:8080"),
        e.own("127.0.0.1") + "@evil.example"}) {
    CAPTURE(host);
    for (std::string_view path : {"/status", "/metrics", "/", "/app.js", "/ping", "/nowhere"}) {
      CAPTURE(path);
      HttpResponse r = raw(e.port, "GET", path, host_line(host));
      CHECK(r.status == 403);
      CHECK(r.body.find("Host") != std::string::npos);
      CHECK(r.body.find("target_groups") == std::string::npos);
    }
  }
  // X-Forwarded-Host is never trusted, either way round.
  CHECK(raw(e.port, "GET", "/status",
            host_line(e.own("evil.example")) + "X-Forwarded-Host: " + e.own() + "\r\n")
            .status == 403);
  CHECK(raw(e.port, "GET", "/status",
            host_line(e.own()) + "X-Forwarded-Host: " + e.own("evil.example") + "\r\n")
            .status == 200);
  // HTTP/1.0 may omit Host; the endpoint then cannot tell who it is talking to.
  CHECK(raw(e.port, "GET", "/status", "", "", "HTTP/1.0").status == 403);

  // A rebinding page cannot drain either: Host is checked before anything else.
  std::string form_type = "Content-Type: " + std::string(kForm) + "\r\n";
  CHECK(raw(e.port, "POST", "/targets/drain", host_line(e.own("evil.example")) + form_type,
            e.drain_form)
            .status == 403);
  CHECK(raw(e.port, "POST", "/reload", host_line(e.own("127.0.0.1.evil.example"))).status == 403);
  CHECK(e.state() == "unavailable");
  CHECK(e.albatross.log_count("reloading configuration") == 0);
}

TEST_CASE("state changes from another origin's page are refused; curl and the page itself pass") {
  Endpoint e;
  INFO("albatross log:\n" << e.albatross.stderr_text());
  std::string form = host_line(e.own()) + "Content-Type: " + std::string(kForm) + "\r\n";
  // The cross-site form post from the issue, and its variants.
  for (std::string extra :
       {std::string("Origin: http://evil.example\r\n"),
        std::string("Origin: http://") + e.own("127.0.0.1.evil.example") + "\r\n",
        std::string("Origin: http://127.0.0.1:1\r\n"), std::string("Origin: null\r\n"),
        std::string("Origin: https://") + e.own() + "\r\n",
        std::string("Sec-Fetch-Site: cross-site\r\n"),
        std::string("Origin: http://") + e.own() + "\r\nSec-Fetch-Site: cross-site\r\n"}) {
    CAPTURE(extra);
    CHECK(raw(e.port, "POST", "/targets/drain", form + extra, e.drain_form).status == 403);
    CHECK(raw(e.port, "POST", "/reload", form + extra).status == 403);
  }
  CHECK(e.state() == "unavailable");
  CHECK(e.albatross.log_count("reloading configuration") == 0);

  // The dashboard's own fetch: same origin.
  HttpResponse own =
      raw(e.port, "POST", "/targets/drain",
          form + "Origin: http://" + e.own() + "\r\nSec-Fetch-Site: same-origin\r\n", e.drain_form);
  CHECK(own.status == 200);
  CHECK(e.state() == "draining");
  // curl -X POST, as the README documents: no Origin at all.
  AdminClient admin(e.port);
  CHECK(admin.post("/targets/activate", e.drain_form).status == 200);
  CHECK(e.state() == "unavailable");
}

TEST_CASE("state changes take POST only; reads take GET and HEAD") {
  Endpoint e;
  INFO("albatross log:\n" << e.albatross.stderr_text());
  for (std::string_view method : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    CAPTURE(method);
    HttpResponse r = raw(e.port, method, "/targets/drain?" + e.drain_form, host_line(e.own()));
    CHECK(r.status == 405);
    CHECK(r.header("Allow") == "POST");
  }
  CHECK(e.state() == "unavailable");
  for (std::string_view path : {"/status", "/metrics", "/", "/ping"}) {
    CAPTURE(path);
    HttpResponse r = raw(e.port, "POST", path, host_line(e.own()));
    CHECK(r.status == 405);
    CHECK(r.header("Allow") == "GET, HEAD");
  }
}

TEST_CASE("every admin response carries the security headers and none carries CORS headers") {
  Endpoint e;
  INFO("albatross log:\n" << e.albatross.stderr_text());
  struct Case {
    std::string method;
    std::string path;
    std::string headers;
    int status;
  };
  std::string own = host_line(e.own());
  std::string cross = own + "Origin: http://evil.example\r\n";
  std::vector<Case> cases = {
      {"GET", "/", own, 200},
      {"GET", "/app.js", own, 200},
      {"GET", "/app.css", own, 200},
      {"GET", "/status", cross, 200},
      {"GET", "/metrics", cross, 200},
      {"HEAD", "/ping", own, 200},
      {"GET", "/nowhere", own, 404},
      {"GET", "/status", host_line("evil.example"), 403},
      {"POST", "/reload", cross, 403},
      {"GET", "/reload", own, 405},
      {"OPTIONS", "/status",
       cross + "Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x\r\n", 405},
      {"POST", "/targets/drain", own, 400},
  };
  for (const Case& c : cases) {
    CAPTURE(c.method);
    CAPTURE(c.path);
    HttpResponse r = raw(e.port, c.method, c.path, c.headers);
    CHECK(r.status == c.status);
    CHECK(r.header("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Referrer-Policy") == "no-referrer");
    CHECK(r.header("Cache-Control") == "no-store");
    for (const auto& header : r.headers) {
      CAPTURE(header.first);
      CHECK_FALSE(ascii::istarts_with(header.first, "access-control-"));
    }
  }
}

TEST_CASE("refusals are counted by reason and logged without flooding") {
  Endpoint e;
  INFO("albatross log:\n" << e.albatross.stderr_text());
  constexpr int kBurst = 50;
  for (int i = 0; i < kBurst; ++i)
    REQUIRE(raw(e.port, "GET", "/status", host_line("evil.example")).status == 403);
  std::string cross = host_line(e.own()) +
                      "Origin: http://evil.example\r\nContent-Type: " + std::string(kForm) + "\r\n";
  REQUIRE(raw(e.port, "POST", "/reload", cross).status == 403);
  REQUIRE(raw(e.port, "GET", "/reload", host_line(e.own())).status == 405);

  MetricsText metrics = AdminClient(e.port).metrics();
  const std::string family = "albatross_admin_requests_refused_total";
  CHECK(metrics.value(family, {{"reason", "host"}}) == kBurst);
  CHECK(metrics.value(family, {{"reason", "origin"}}) == 1);
  CHECK(metrics.value(family, {{"reason", "method"}}) == 1);
  CHECK(metrics.value(family, {{"reason", "token"}}) == 0);
  CHECK(metrics.value(family, {{"reason", "peer"}}) == 0);
  // One line per reason per 10 s: the burst of 50 host refusals logged once.
  REQUIRE(e.albatross.wait_for_log("(method)", after(seconds(5))));
  CHECK(e.albatross.log_count("admin endpoint refused") == 3);
  CHECK(e.albatross.log_count("(host): Host \"evil.example\", Origin (none)") == 1);
  CHECK(e.albatross.log_count("(origin)") == 1);
}

}  // namespace
}  // namespace albatross::testing
