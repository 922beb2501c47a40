#include "albatross/admin/admin_request_guard.hpp"

#include <doctest/doctest.h>

namespace albatross::admin {
namespace {

const AdminRequestGuard kGuard("127.0.0.1", 9901, {"albatross.internal", "tunnel.example:8080"});

AdminRequest request(std::string_view method, std::string_view path,
                     std::optional<std::string_view> host = "127.0.0.1:9901") {
  return AdminRequest{method, path, host, std::nullopt, std::nullopt};
}

std::optional<Refusal> refusal(const AdminRequest& r, std::string_view local = "127.0.0.1") {
  auto verdict = kGuard.check(r, local);
  return verdict ? std::optional<Refusal>(verdict->reason) : std::nullopt;
}

TEST_CASE("Host: the built-in names, the bound address and the configured names pass") {
  for (std::string_view host :
       {"127.0.0.1:9901", "localhost:9901", "LOCALHOST:9901", "localhost.:9901", "[::1]:9901",
        "albatross.internal:9901", "Albatross.Internal.:9901", "tunnel.example:8080"}) {
    CHECK_MESSAGE(kGuard.host_allowed(host), std::string(host));
  }
}

TEST_CASE("Host: near misses and rebinding names are refused") {
  for (std::string_view host :
       {"evil.example:9901", "127.0.0.1.evil.example:9901", "localhost.evil.example:9901",
        "evil.example.localhost:9901", "127.0.0.1:9902", "evil.example", "127.0.0.1.evil.example",
        "localhost..:9901", "127.1:9901", "2130706433:9901", "[::1]:9902",
        "[::ffff:127.0.0.1]:9901", "tunnel.example:9901", "albatross.internal:8080",
        "127.0.0.1:9901@evil.example", "evil.example:9901#127.0.0.1:9901", "", " 127.0.0.1:9901",
        "127.0.0.1:09901x"}) {
    CHECK_MESSAGE(!kGuard.host_allowed(host), std::string(host));
  }
}

TEST_CASE("Host: without a port, the name alone is compared") {
  CHECK(kGuard.host_allowed("127.0.0.1"));
  CHECK(kGuard.host_allowed("localhost."));
  CHECK(kGuard.host_allowed("tunnel.example"));
  CHECK_FALSE(kGuard.host_allowed("localhost.evil.example"));
  CHECK_FALSE(kGuard.host_allowed("127.1"));
}

TEST_CASE("Host: the address the connection arrived on passes with the admin port only") {
  AdminRequestGuard wildcard("0.0.0.0", 9901, {});
  CHECK(wildcard.host_allowed("192.0.2.7:9901", "192.0.2.7"));
  CHECK_FALSE(wildcard.host_allowed("192.0.2.7:80", "192.0.2.7"));
  CHECK_FALSE(wildcard.host_allowed("192.0.2.8:9901", "192.0.2.7"));
  AdminRequestGuard v6("::1", 9901, {});
  CHECK(v6.host_allowed("[::1]:9901"));
  AdminRequestGuard port80("127.0.0.1", 80, {});
  CHECK(port80.host_allowed("localhost:80"));
  CHECK(port80.host_allowed("localhost"));
}

TEST_CASE("check: Host is refused before anything else, with 403") {
  auto verdict = kGuard.check(request("POST", "/reload", "evil.example:9901"));
  REQUIRE(verdict);
  CHECK(verdict->status == 403);
  CHECK(verdict->reason == Refusal::host);
  CHECK(refusal(request("GET", "/status", std::nullopt)) == Refusal::host);
  CHECK(refusal(request("GET", "/nowhere", "evil.example:9901")) == Refusal::host);
}

TEST_CASE("check: reads take GET and HEAD, state changes POST only") {
  CHECK_FALSE(refusal(request("GET", "/status")));
  CHECK_FALSE(refusal(request("HEAD", "/metrics")));
  CHECK_FALSE(refusal(request("GET", "/")));
  CHECK_FALSE(refusal(request("POST", "/reload")));
  CHECK_FALSE(refusal(request("GET", "/unknown")));  // 404 is the router's answer
  for (std::string_view method : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}) {
    auto verdict = kGuard.check(request(method, "/targets/drain"), "127.0.0.1");
    REQUIRE(verdict);
    CHECK(verdict->status == 405);
    CHECK(verdict->reason == Refusal::method);
  }
  CHECK(refusal(request("POST", "/status")) == Refusal::method);
  CHECK(refusal(request("OPTIONS", "/status")) == Refusal::method);
  // Registering and deregistering targets are state changes like the others.
  for (std::string_view path : {"/targets/register", "/targets/deregister"}) {
    CHECK(AdminRequestGuard::is_state_changing(path));
    CHECK_FALSE(refusal(request("POST", path)));
    CHECK(refusal(request("GET", path)) == Refusal::method);
  }
}

TEST_CASE("check: a state change from another origin's page is refused with 403") {
  auto with = [](std::optional<std::string_view> origin,
                 std::optional<std::string_view> fetch_site = std::nullopt) {
    AdminRequest r = request("POST", "/targets/drain");
    r.origin = origin;
    r.sec_fetch_site = fetch_site;
    return refusal(r);
  };
  CHECK_FALSE(with(std::nullopt));  // curl
  CHECK_FALSE(with("http://127.0.0.1:9901", "same-origin"));
  CHECK_FALSE(with("http://localhost:9901"));
  CHECK_FALSE(with("http://albatross.internal:9901"));
  CHECK_FALSE(with(std::nullopt, "none"));
  CHECK(with("http://evil.example") == Refusal::origin);
  CHECK(with("http://evil.example:9901") == Refusal::origin);
  CHECK(with("http://127.0.0.1.evil.example:9901") == Refusal::origin);
  CHECK(with("http://127.0.0.1:8080") == Refusal::origin);  // another local service
  CHECK(with("http://127.0.0.1") == Refusal::origin);       // port 80: another one
  CHECK(with("https://127.0.0.1:9901") == Refusal::origin);
  CHECK(with("http://127.0.0.1:9901/") == Refusal::origin);
  CHECK(with("null") == Refusal::origin);
  CHECK(with(std::nullopt, "cross-site") == Refusal::origin);
  CHECK(with(std::nullopt, "same-site") == Refusal::origin);
  CHECK(with("http://127.0.0.1:9901", "cross-site") == Refusal::origin);
  // Reads stay readable by the operator's tools whatever Origin says: without CORS headers
  // no other origin's script can read the answer.
  AdminRequest read = request("GET", "/status");
  read.origin = "http://evil.example";
  CHECK_FALSE(refusal(read));
}

TEST_CASE("refusal names are the metric's label values") {
  CHECK(refusal_name(Refusal::host) == "host");
  CHECK(refusal_name(Refusal::method) == "method");
  CHECK(refusal_name(Refusal::origin) == "origin");
  CHECK(refusal_name(Refusal::token) == "token");
  CHECK(refusal_name(Refusal::peer) == "peer");
}

}  // namespace
}  // namespace albatross::admin
