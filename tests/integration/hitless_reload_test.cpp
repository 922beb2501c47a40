// Hitless reload: SIGHUP and POST /reload apply added and removed targets and listeners and a
// changed timeout while keep-alive, Server-Sent Events and WebSocket connections stay open and
// keep working; unchanged targets keep their health and their sticky users; a removed target
// drains for its deregistration delay, then leaves /status; a broken configuration changes
// nothing and is reported in the log, the metrics and /status.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <thread>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/sticky_session.hpp"
#include "support/targets.hpp"
#include "support/web_socket_client.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace json = boost::json;

// A request on a connection that must still be the one opened before: HttpClient reconnects
// only after it saw the server close, so a response here proves the connection survived.
HttpResponse get_on_same_connection(HttpClient& client, std::string_view path) {
  REQUIRE(client.is_open());
  REQUIRE(!client.server_closed());
  return client.request("GET", path);
}

std::uint16_t listener_port(const json::object& status, std::string_view name) {
  for (const json::value& l : status.at("listeners").as_array()) {
    if (l.as_object().at("name").as_string() == name) {
      return static_cast<std::uint16_t>(l.as_object().at("port").as_int64());
    }
  }
  return 0;
}

TEST_CASE(
    "reloads change targets, listeners and a timeout while keep-alive, SSE and WebSocket "
    "connections keep working") {
  Targets targets({"a", "b", "c"});
  // v1: web and old listeners, targets a and b.
  const std::string v1 =
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app")
          .listener("old", "app")
          .target_group("app", {targets.port(0), targets.port(1)}, "deregistration_delay = \"1s\"")
          .str();
  // v2: "old" gone, "new" added; b removed, c added; web's idle timeout changed.
  const std::string v2 =
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app", "idle_timeout = \"120s\"")
          .listener("new", "app")
          .target_group("app", {targets.port(0), targets.port(2)}, "deregistration_delay = \"1s\"")
          .str();
  // v3: as v2 with a response timeout short enough to observe.
  const std::string v3 =
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app", "idle_timeout = \"120s\"")
          .listener("new", "app")
          .target_group("app", {targets.port(0), targets.port(2)},
                        "deregistration_delay = \"1s\"\nresponse_timeout = \"500ms\"")
          .str();
  AlbatrossProcess albatross(v1);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::uint16_t web = albatross.port("web");
  const std::uint16_t old = albatross.port("old");

  HttpClient keep_alive(web);
  CHECK(keep_alive.get("/").status == 200);
  HttpClient on_old(old);
  CHECK(on_old.get("/").status == 200);
  HttpClient sse(web);
  sse.connect();
  REQUIRE(
      sse.send("GET /sse?events=25&interval=100 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  auto sse_head = sse.read_head(after(seconds(5)));
  REQUIRE(sse_head);
  REQUIRE(sse_head->status == 200);
  WebSocketClient ws;
  REQUIRE_MESSAGE(ws.open(web, "/ws", after(seconds(5))), ws.error());
  CHECK(ws.echo("before", after(seconds(5))) == "before");

  // Two slow exchanges in flight, one on each target (round robin): b's must finish although
  // the reload removes b.
  std::vector<std::unique_ptr<HttpClient>> slow_ones;
  for (int i = 0; i < 2; ++i) {
    slow_ones.push_back(std::make_unique<HttpClient>(web));
    slow_ones.back()->connect();
    REQUIRE(
        slow_ones.back()->send("GET /?delay=800 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  }
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        return AdminClient::find_target(s, "app", loopback(targets.port(1)))
                   ->at("in_flight")
                   .as_int64() == 1;
      },
      after(seconds(5))));

  // Reload 1, by signal.
  albatross.rewrite_config(v2);
  TimePoint removed_at = Clock::now();
  REQUIRE(albatross.reload());
  std::map<std::string, int> by_target;
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = get_on_same_connection(keep_alive, "/");
    CHECK(r.status == 200);
    ++by_target[target_of(r)];
  }
  CHECK(by_target["a"] == 5);
  CHECK(by_target["c"] == 5);
  // The removed listener closes its idle connection and accepts nothing more; the added one
  // serves.
  CHECK(on_old.wait_closed(after(seconds(5))));
  HttpClient refused(old);
  CHECK(!refused.try_connect(after(seconds(2))));
  const json::object status = admin.status();
  CHECK(listener_port(status, "old") == 0);
  const std::uint16_t added = listener_port(status, "new");
  REQUIRE(added != 0);
  HttpClient on_new(added);
  CHECK(on_new.get("/").status == 200);
  const json::object* b = AdminClient::find_target(status, "app", loopback(targets.port(1)), true);
  REQUIRE(b != nullptr);
  CHECK(b->at("state").as_string() == "draining");
  CHECK(b->at("reason").as_string() == "Target.DeregistrationInProgress");
  CHECK(b->at("drain_deadline").is_string());
  CHECK(ws.echo("between", after(seconds(5))) == "between");
  std::set<std::string> slow_targets;
  for (auto& client : slow_ones) {
    auto response = client->read_response(after(seconds(10)));
    REQUIRE(response);
    CHECK(response->status == 200);
    slow_targets.insert(target_of(*response));
  }
  CHECK(slow_targets == std::set<std::string>{"a", "b"});

  // Reload 2, by the admin endpoint: the new response timeout applies to the next exchange.
  albatross.rewrite_config(v3);
  HttpResponse reloaded = admin.post("/reload");
  CHECK(reloaded.status == 200);
  TimePoint reloads_done = Clock::now();
  HttpClient slow(web);
  CHECK(slow.get("/?delay=1500").status == 504);
  CHECK(get_on_same_connection(keep_alive, "/").status == 200);
  CHECK(get_on_same_connection(on_new, "/").status == 200);
  CHECK(ws.echo("after", after(seconds(5))) == "after");
  CHECK(ws.close(after(seconds(5))));

  // The event stream opened before the first reload ran to its end through both.
  std::vector<TimedEvent> events = sse.read_sse_events(after(seconds(10)));
  INFO("sse: " << sse.error());
  REQUIRE(events.size() == 25);
  CHECK(events.back().arrived > reloads_done);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CAPTURE(i);
    CHECK(events[i].text.find("data: event " + std::to_string(i) + " from ") != std::string::npos);
  }

  // b is forgotten once its deregistration delay has passed.
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        return AdminClient::find_target(s, "app", loopback(targets.port(1)), true) == nullptr;
      },
      after(seconds(10))));
  CHECK(elapsed_ms(removed_at) >= milliseconds(1000));
  CHECK(albatross.log_count("target app/" + loopback(targets.port(1)) + " deregistered") == 1);
  CHECK(albatross.running());
}

TEST_CASE(
    "a listener removed by a reload finishes its exchanges in flight, then closes its "
    "connections") {
  Targets targets({"a", "b", "c"});
  // v1: web and old on a and b. v2: old gone, the group moved to c (a and b drain).
  const std::string v1 = ConfigText()
                             .admin("127.0.0.1:0")
                             .listener("web", "app")
                             .listener("old", "app")
                             .target_group("app", {targets.port(0), targets.port(1)})
                             .str();
  const std::string v2 = ConfigText()
                             .admin("127.0.0.1:0")
                             .listener("web", "app")
                             .target_group("app", {targets.port(2)})
                             .str();
  AlbatrossProcess albatross(v1);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t old = albatross.port("old");
  HttpClient idle(old);
  CHECK(idle.get("/").status == 200);
  HttpClient busy(old);
  busy.connect();
  REQUIRE(busy.send("GET /?delay=1000 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  REQUIRE(wait_until([&] { return targets.total_requests() == 2; }, after(seconds(5))));
  HttpClient web(albatross.port("web"));
  CHECK(web.get("/").status == 200);

  albatross.rewrite_config(v2);
  REQUIRE(albatross.reload());
  CHECK(target_of(get_on_same_connection(web, "/")) == "c");
  // The exchange in flight finishes on its target, and says the connection ends.
  auto finished = busy.read_response(after(seconds(10)));
  REQUIRE(finished);
  CHECK(finished->status == 200);
  CHECK(finished->connection_close());
  CHECK(busy.wait_closed(after(seconds(5))));
  // The idle connection is closed without a word: the configuration it was accepted under is
  // gone (its targets drain), so it would only be served from a stale one.
  CHECK(idle.wait_closed(after(seconds(5))));
  CHECK(idle.unexpected().empty());
  HttpClient refused(old);
  CHECK(!refused.try_connect(after(seconds(2))));
}

TEST_CASE("across reloads, unchanged targets keep their health and their sticky users") {
  Targets targets({"a", "b", "c", "d"});
  auto config = [&](std::vector<std::uint16_t> ports, std::string_view extra,
                    int healthy_threshold) {
    return ConfigText()
        .admin("127.0.0.1:0")
        .listener("web", "app")
        .target_group("app", ports,
                      std::string(extra) + "\n[target_group.stickiness]\nenabled = true",
                      "interval = \"1s\"\ntimeout = \"500ms\"\nunhealthy_threshold = 2\n"
                      "healthy_threshold = " +
                          std::to_string(healthy_threshold))
        .str();
  };
  const std::vector<std::uint16_t> three = {targets.port(0), targets.port(1), targets.port(2)};
  AlbatrossProcess albatross(config(three, "", 5));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string c = loopback(targets.port(2));
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(
        admin.wait_target_state("app", loopback(targets.port(i)), "healthy", after(seconds(5))));
  }
  targets[2].set_ping_status(503);
  REQUIRE(albatross.wait_for_log("target app/" + c + " healthy -> unhealthy", after(seconds(10))));
  HttpClient client(albatross.port("web"));
  std::map<std::string, std::string> cookies;  // by target
  for (int i = 0; i < 4; ++i) {
    HttpResponse r = client.get("/");
    cookies[target_of(r)] = sticky_value(r);
  }
  REQUIRE(cookies.size() == 2);
  REQUIRE(!cookies.contains("c"));

  // Two reloads: one changes timeouts and adds d, one changes the health-check thresholds.
  const std::vector<std::string> reloads = {
      config(targets.ports(), "response_timeout = \"30s\"\nconnect_timeout = \"2s\"", 5),
      config(targets.ports(), "response_timeout = \"30s\"", 4)};
  for (const std::string& text : reloads) {
    const std::size_t transitions_before = albatross.log_count(" -> ");
    albatross.rewrite_config(text);
    REQUIRE(albatross.reload());
    // Straight after the reload: c is still out, a and b still in, the users where they were.
    const json::object status = admin.status();
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      const json::object* t = AdminClient::find_target(status, "app", loopback(targets.port(i)));
      REQUIRE(t != nullptr);
      CHECK(t->at("state").as_string() == (i == 2 ? "unhealthy" : "healthy"));
    }
    std::map<std::string, int> by_target;
    for (int i = 0; i < 12; ++i) {
      HttpResponse r = client.get("/");
      CHECK(r.status == 200);
      ++by_target[target_of(r)];
    }
    CHECK(by_target.count("c") == 0);
    CHECK(by_target["a"] >= 1);
    CHECK(by_target["b"] >= 1);
    for (const auto& [name, value] : cookies) {
      CAPTURE(name);
      HttpResponse r = client.request("GET", "/", cookie_header(value));
      CHECK(target_of(r) == name);
      CHECK(sticky_value(r).empty());
    }
    // Only d (new) may have changed state since the reload.
    std::string log = albatross.stderr_text();
    std::size_t at = 0;
    for (std::size_t n = 0; n < transitions_before; ++n)
      at = log.find(" -> ", at) + 4;
    for (at = log.find(" -> ", at); at != std::string::npos; at = log.find(" -> ", at + 4)) {
      std::size_t line = log.rfind('\n', at) + 1;
      CHECK(log.substr(line, log.find('\n', at) - line)
                .find("target app/" + loopback(targets.port(3)) + " ") != std::string::npos);
    }
  }
  CHECK(admin.target_state("app", c) == "unhealthy");
  CHECK(albatross.log_count("target app/" + c + " ") == 2);  // initial -> healthy -> unhealthy
}

TEST_CASE("a broken configuration changes nothing and is reported everywhere") {
  Targets targets({"a", "b"});
  auto config = [&](std::uint16_t port) {
    return ConfigText()
        .admin("127.0.0.1:0")
        .listener("web", "app")
        .target_group("app", {port})
        .str();
  };
  AlbatrossProcess albatross(config(targets.port(0)));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  HttpClient client(albatross.port("web"));
  CHECK(target_of(client.get("/")) == "a");
  const json::object before = admin.status();

  // Three mistakes: an unknown key, a bad duration, a listener naming no group.
  std::string broken =
      ConfigText()
          .admin("127.0.0.1:0")
          .global("frobnicate = 1")
          .listener("web", "nowhere")
          .target_group("app", {targets.port(1)}, "connect_timeout = \"10 parsecs\"")
          .str();
  albatross.rewrite_config(broken);
  CHECK(!albatross.reload());
  const std::string log = albatross.stderr_text();
  const std::string file = albatross.config_path() + ":";
  for (const std::string key :
       {"global.frobnicate", "target_group[0].connect_timeout", "listener[0].target_group"}) {
    CAPTURE(key);
    std::size_t at = log.find(key + ": ");
    REQUIRE(at != std::string::npos);
    // "FILE:LINE:COL: key.path: message"
    std::size_t line = log.rfind('\n', at) + 1;
    CHECK(log.find(file, line) < at);
  }
  CHECK(log.find("the running configuration stays in service") != std::string::npos);

  for (int i = 0; i < 4; ++i)
    CHECK(target_of(client.get("/")) == "a");
  HttpClient fresh(albatross.port("web"));
  CHECK(target_of(fresh.get("/")) == "a");
  MetricsText metrics = admin.metrics();
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "failure"}}) == 1);
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "success"}}) == 1);
  CHECK(metrics.value("albatross_config_last_reload_failed") == 1);
  json::object status = admin.status();
  const json::object& config_shown = status.at("config").as_object();
  CHECK(config_shown.at("hash") == before.at("config").as_object().at("hash"));
  CHECK(config_shown.at("loaded_at") == before.at("config").as_object().at("loaded_at"));
  const json::object& last = config_shown.at("last_reload").as_object();
  CHECK(last.at("result").as_string() == "failure");
  const json::array& errors = last.at("errors").as_array();
  CHECK(errors.size() == 3);
  for (const json::value& e : errors)
    CHECK(std::string(e.as_string()).starts_with(file));

  // Fixed: the next reload succeeds and clears the report.
  albatross.rewrite_config(config(targets.port(1)));
  CHECK(albatross.reload());
  CHECK(target_of(client.get("/")) == "b");
  metrics = admin.metrics();
  CHECK(metrics.value("albatross_config_last_reload_failed") == 0);
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "success"}}) == 2);
  status = admin.status();
  CHECK(status.at("config").as_object().at("last_reload").as_object().at("result").as_string() ==
        "success");
  CHECK(status.at("config").as_object().at("hash") != before.at("config").as_object().at("hash"));
}

}  // namespace
}  // namespace albatross::testing
