// Targets that follow DNS, against a real DNS server (dnsmasq on loopback, answering from a hosts
// file it re-reads on SIGHUP): a record that appears becomes a target, health-checked before it
// gets traffic; a record that vanishes drains for the deregistration delay and is removed; a
// resolver that goes down leaves the last good targets in service, counted.
#include <doctest/doctest.h>

#include <map>

#include "albatross/demo/demo_target.hpp"
#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/dnsmasq.hpp"
#include "support/http_client.hpp"
#include "support/sticky_session.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;
namespace json = boost::json;
namespace net = boost::asio;

constexpr std::string_view kName = "app.fleet.test";

// Two demo targets on the same port of two loopback addresses, as two instances of one service
// behind one name.
struct TwoHosts {
  net::io_context io;
  std::unique_ptr<demo::DemoTarget> a;
  std::unique_ptr<demo::DemoTarget> b;
  std::thread thread;

  TwoHosts() {
    a = std::make_unique<demo::DemoTarget>(
        io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.2"), 0), "a");
    b = std::make_unique<demo::DemoTarget>(
        io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.3"), a->port()), "b");
    thread = std::thread([this] { io.run(); });
  }
  ~TwoHosts() {
    a->stop();
    b->stop();
    thread.join();
  }
  std::uint16_t port() const { return a->port(); }
};

TEST_CASE("targets follow DNS: added, health-checked, used; removed, drained; resolver down") {
  TwoHosts hosts;
  const std::string a = "127.0.0.2:" + std::to_string(hosts.port());
  const std::string b = "127.0.0.3:" + std::to_string(hosts.port());
  Dnsmasq dns("127.0.0.2 app.fleet.test\n", kName);

  std::string config = "[global]\nthreads = 2\nadmin = \"127.0.0.1:0\"\nresolvers = [\"" +
                       dns.address() +
                       "\"]\n"
                       "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:0\"\ntarget_group = "
                       "\"app\"\n"
                       "[[target_group]]\nname = \"app\"\ntargets = [\"app.fleet.test:" +
                       std::to_string(hosts.port()) +
                       "\"]\ndns_refresh = \"1s\"\nderegistration_delay = \"2s\"\n"
                       "[target_group.health_check]\ninterval = \"1s\"\ntimeout = \"500ms\"\n"
                       "healthy_threshold = 2\nunhealthy_threshold = 2\n";
  AlbatrossProcess albatross(config);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  REQUIRE(admin.wait_target_state("app", a, "healthy", after(seconds(10))));
  CHECK(spread(albatross.port("web"), 4)["a"] == 4);
  {
    json::object status = admin.status();
    const json::object* shown = AdminClient::find_target(status, "app", a);
    REQUIRE(shown != nullptr);
    CHECK(shown->at("source").as_string() == "dns");
  }

  SUBCASE("a record that appears is checked, then used; one that vanishes drains, then goes") {
    // The new instance is not ready yet: its /ping fails at first.
    hosts.b->set_ping_status(503);
    dns.set_hosts("127.0.0.2 app.fleet.test\n127.0.0.3 app.fleet.test\n", kName,
                  {"127.0.0.2", "127.0.0.3"});
    REQUIRE(admin.wait_status(
        [&](const json::object& s) { return AdminClient::find_target(s, "app", b) != nullptr; },
        after(seconds(10))));
    REQUIRE(admin.wait_target_state("app", b, "unhealthy", after(seconds(10))));
    // Checked, and no request of a client reaches it.
    CHECK(spread(albatross.port("web"), 6)["a"] == 6);
    CHECK(hosts.b->requests_served() == hosts.b->ping_requests());
    hosts.b->set_ping_status(200);
    REQUIRE(
        albatross.wait_for_log("target app/" + b + " unhealthy -> healthy", after(seconds(10))));
    auto both = spread(albatross.port("web"), 10);
    CHECK(both["a"] == 5);
    CHECK(both["b"] == 5);

    dns.set_hosts("127.0.0.3 app.fleet.test\n", kName, {"127.0.0.3"});
    REQUIRE(admin.wait_status(
        [&](const json::object& s) {
          const json::object* t = AdminClient::find_target(s, "app", a, /*removed=*/true);
          return t && t->at("state").as_string() == "draining";
        },
        after(seconds(10))));
    CHECK(AdminClient::find_target(admin.status(), "app", a) == nullptr);
    const std::uint64_t a_served = hosts.a->requests_served();
    CHECK(spread(albatross.port("web"), 6)["b"] == 6);
    CHECK(hosts.a->requests_served() == a_served);
    // After the 2 s deregistration delay it is forgotten.
    REQUIRE(albatross.wait_for_log("target app/" + a + " deregistered", after(seconds(10))));
    json::object status = admin.status();
    CHECK(AdminClient::find_target(status, "app", a, /*removed=*/true) == nullptr);
  }

  SUBCASE("a resolver that goes down keeps the last good set, counted") {
    dns.stop();
    REQUIRE(wait_until(
        [&] {
          return admin.metrics().value("albatross_dns_resolutions_total",
                                       {{"target_group", "app"},
                                        {"name", std::string(kName)},
                                        {"result", "failure"}}) >= 2;
        },
        after(seconds(15)), std::chrono::milliseconds(100)));
    CHECK(albatross.log_count("cannot resolve app.fleet.test") >= 2);
    CHECK(admin.target_state("app", a) == "healthy");
    CHECK(spread(albatross.port("web"), 4)["a"] == 4);
  }
}

TEST_CASE("a followed name that does not resolve at start is an error with its key path") {
  Dnsmasq dns("127.0.0.2 other.fleet.test\n", "other.fleet.test");
  std::string config = "[global]\nthreads = 1\nresolvers = [\"" + dns.address() +
                       "\"]\n"
                       "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:0\"\ntarget_group = "
                       "\"app\"\n"
                       "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:1\", "
                       "\"app.fleet.test:80\"]\n";
  dns.stop();
  AlbatrossProcess albatross(config);
  CHECK_THROWS(albatross.start());
  CHECK(albatross.stderr_text().find("target_group[0].targets[1]: cannot resolve host "
                                     "\"app.fleet.test\"") != std::string::npos);
}

}  // namespace
}  // namespace albatross::testing
