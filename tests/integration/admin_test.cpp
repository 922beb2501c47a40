// The admin endpoint: /ping, a /metrics page that parses and carries every catalog family, the
// /status document (targets, states, reasons, last check, in-flight, drain deadline, config hash
// and load time), draining and re-activating a target by hand, and the bearer token that guards
// the state-changing calls.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/command_result.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/sticky_session.hpp"
#include "support/targets.hpp"
#include "support/temp_file.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace json = boost::json;

constexpr std::string_view kSticky = "[target_group.stickiness]\nenabled = true";
constexpr std::string_view kChecks = "interval = \"1s\"\ntimeout = \"500ms\"";

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string file_content(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "2026-01-02T03:04:05.678Z" as system time; nullopt if it is not that form.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const json::value& value) {
  if (!value.is_string()) return std::nullopt;
  std::string text(value.as_string());
  std::tm tm{};
  int millis = 0;
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &zone) != 8 ||
      zone != 'Z' || text.size() != 24) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + milliseconds(millis);
}

// Every family the metric catalog, the health checker and the control plane declare.
const std::vector<std::string> kFamilies = {
    "albatross_build_info",
    "albatross_config_reloads_total",
    "albatross_config_last_reload_success_timestamp_seconds",
    "albatross_config_last_reload_failed",
    "albatross_downstream_connections_total",
    "albatross_downstream_connections_active",
    "albatross_downstream_connections_rejected_total",
    "albatross_downstream_received_bytes_total",
    "albatross_downstream_sent_bytes_total",
    "albatross_generated_responses_total",
    "albatross_desync_requests_total",
    "albatross_invalid_header_requests_total",
    "albatross_requests_total",
    "albatross_responses_total",
    "albatross_target_response_time_seconds",
    "albatross_non_sticky_requests_total",
    "albatross_fail_open_requests_total",
    "albatross_retries_total",
    "albatross_target_requests_total",
    "albatross_target_connection_errors_total",
    "albatross_upstream_connections_total",
    "albatross_upstream_connections_active",
    "albatross_health_checks_total",
    "albatross_health_check_duration_seconds",
    "albatross_target_state",
    "albatross_healthy_targets",
    "albatross_unhealthy_targets",
};

TEST_CASE("/ping, /metrics and /status describe the running process") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports(), kSticky, kChecks)
                                 .str());
  const auto started = std::chrono::system_clock::now();
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string a = loopback(targets.port(0));
  const std::string b = loopback(targets.port(1));
  REQUIRE(admin.wait_target_state("app", a, "healthy", after(seconds(5))));
  REQUIRE(admin.wait_target_state("app", b, "healthy", after(seconds(5))));

  HttpResponse ping = admin.get("/ping");
  CHECK(ping.status == 200);
  CHECK(ping.body == "ok\n");
  CHECK(admin.get("/nowhere").status == 404);
  CHECK(admin.post("/status").status == 405);
  CHECK(admin.get("/reload").status == 405);

  HttpClient client(albatross.port("web"));
  for (int i = 0; i < 4; ++i)
    REQUIRE(client.get("/").status == 200);

  HttpResponse page = admin.get("/metrics");
  CHECK(page.status == 200);
  CHECK(page.header("Content-Type").value_or("").starts_with("text/plain; version=0.0.4"));
  MetricsText metrics = MetricsText::parse(page.body);
  for (const std::string& family : kFamilies) {
    CAPTURE(family);
    CHECK(metrics.families().contains(family));
  }
  CHECK(metrics.families().at("albatross_target_response_time_seconds") == "histogram");
  CHECK(metrics.families().at("albatross_requests_total") == "counter");
  CHECK(metrics.value("albatross_requests_total", {{"listener", "web"}, {"target_group", "app"}}) ==
        4);
  CHECK(metrics.value("albatross_target_requests_total", {{"target", a}}) == 2);
  CHECK(metrics.value("albatross_target_requests_total", {{"target", b}}) == 2);
  CHECK(metrics.value("albatross_target_response_time_seconds_count") == 4);
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "success"}}) == 1);
  CHECK(metrics.value("albatross_target_state", {{"target", a}, {"state", "healthy"}}) == 1);
  CHECK(metrics.value("albatross_downstream_connections_active", {{"listener", "web"}}) == 1);

  // A request held in flight at the target shows in /status. The exchanges above end their
  // in-flight count just after their responses are written, so wait for both to be idle first.
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        for (const std::string& t : {a, b}) {
          const json::object* shown = AdminClient::find_target(s, "app", t);
          if (!shown || shown->at("in_flight").as_int64() != 0) return false;
        }
        return true;
      },
      after(seconds(5))));
  HttpClient holder(albatross.port("web"));
  holder.connect();
  REQUIRE(holder.send("GET /?delay=1500 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  std::string held_target;
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        for (const std::string& t : {a, b}) {
          const json::object* shown = AdminClient::find_target(s, "app", t);
          if (shown && shown->at("in_flight").as_int64() == 1) held_target = t;
        }
        return !held_target.empty();
      },
      after(seconds(5))));

  const json::object status = admin.status();
  CHECK(status.at("version").is_string());
  const json::object& config = status.at("config").as_object();
  CHECK(config.at("file").as_string() == albatross.config_path());
  CHECK(config.at("hash").as_string() == sha256_hex(file_content(albatross.config_path())));
  auto loaded_at = parse_iso8601(config.at("loaded_at"));
  REQUIRE(loaded_at);
  CHECK(*loaded_at >= std::chrono::time_point_cast<seconds>(started) - seconds(1));
  CHECK(*loaded_at <= std::chrono::system_clock::now());
  const json::object& last_reload = config.at("last_reload").as_object();
  CHECK(last_reload.at("result").as_string() == "success");
  CHECK(parse_iso8601(last_reload.at("at")));
  CHECK(last_reload.at("errors").as_array().empty());

  const json::array& listeners = status.at("listeners").as_array();
  REQUIRE(listeners.size() == 1);
  const json::object& web = listeners[0].as_object();
  CHECK(web.at("name").as_string() == "web");
  CHECK(web.at("bind").as_string() == "127.0.0.1:0");
  CHECK(web.at("port").as_int64() == albatross.port("web"));
  CHECK(web.at("protocol").as_string() == "http");
  CHECK(web.at("target_group").as_string() == "app");

  const json::array& groups = status.at("target_groups").as_array();
  REQUIRE(groups.size() == 1);
  const json::object& app = groups[0].as_object();
  CHECK(app.at("name").as_string() == "app");
  CHECK(app.at("algorithm").as_string() == "round_robin");
  CHECK(app.at("stickiness").as_bool());
  CHECK(app.at("fail_open").as_bool());
  CHECK(app.at("routable_targets").as_int64() == 2);
  CHECK(app.at("unhealthy_targets").as_int64() == 0);
  REQUIRE(app.at("targets").as_array().size() == 2);
  for (const std::string& t : {a, b}) {
    CAPTURE(t);
    const json::object* shown = AdminClient::find_target(status, "app", t);
    REQUIRE(shown != nullptr);
    CHECK(shown->at("state").as_string() == "healthy");
    CHECK(shown->at("reason").is_null());
    CHECK(shown->at("last_check_status").as_int64() == 200);
    CHECK(shown->at("last_check_latency_ms").is_number());
    // A check over loopback takes some microseconds, never none and never half a second.
    CHECK(shown->at("last_check_latency_ms").to_number<double>() > 0);
    CHECK(shown->at("last_check_latency_ms").to_number<double>() < 500);
    CHECK(parse_iso8601(shown->at("last_check_at")));
    CHECK(shown->at("in_flight").as_int64() == (t == held_target ? 1 : 0));
    CHECK(shown->at("drain_deadline").is_null());
  }
  CHECK(status.at("removed_targets").as_array().empty());

  auto held = holder.read_response(after(seconds(10)));
  REQUIRE(held);
  CHECK(held->status == 200);
  CHECK(admin.wait_status(
      [&](const json::object& s) {
        return AdminClient::find_target(s, "app", held_target)->at("in_flight").as_int64() == 0;
      },
      after(seconds(5))));
}

TEST_CASE("POST /targets/drain stops new requests and re-binds sticky users; activate restores") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app")
          .target_group("app", targets.ports(),
                        "deregistration_delay = \"60s\"\n" + std::string(kSticky), kChecks)
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string a = loopback(targets.port(0));
  REQUIRE(admin.wait_target_state("app", a, "healthy", after(seconds(5))));
  REQUIRE(admin.wait_target_state("app", loopback(targets.port(1)), "healthy", after(seconds(5))));
  const std::uint16_t port = albatross.port("web");

  // A user bound to "a", with a request in flight there when the drain begins.
  std::string a_cookie;
  for (int i = 0; i < 2 && a_cookie.empty(); ++i) {
    HttpClient user(port);
    HttpResponse r = user.get("/");
    if (target_of(r) == "a") a_cookie = sticky_value(r);
  }
  REQUIRE(!a_cookie.empty());
  // The exchanges above have ended (an in-flight count of 1 below is the held request's).
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        return AdminClient::find_target(s, "app", a)->at("in_flight").as_int64() == 0;
      },
      after(seconds(5))));
  HttpClient holder(port);
  holder.connect();
  REQUIRE(holder.send("GET /?delay=1000 HTTP/1.1\r\nHost: x\r\n" + cookie_header(a_cookie) + "\r\n",
                      after(seconds(5))));
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        return AdminClient::find_target(s, "app", a)->at("in_flight").as_int64() == 1;
      },
      after(seconds(5))));

  // Parameters as a form body, the target percent-encoded as curl --data-urlencode sends it.
  const std::string form = "target_group=app&target=127.0.0.1%3A" + std::to_string(targets.port(0));
  const auto drained_at = std::chrono::system_clock::now();
  HttpResponse drain = admin.post("/targets/drain", form);
  CHECK(drain.status == 200);
  CHECK(drain.body == "draining app/" + a + "\n");

  const json::object status = admin.status();
  const json::object* shown = AdminClient::find_target(status, "app", a);
  REQUIRE(shown != nullptr);
  CHECK(shown->at("state").as_string() == "draining");
  CHECK(shown->at("reason").as_string() == "Target.DeregistrationInProgress");
  auto deadline = parse_iso8601(shown->at("drain_deadline"));
  REQUIRE(deadline);
  CHECK(*deadline > drained_at + seconds(58));
  CHECK(*deadline < std::chrono::system_clock::now() + seconds(61));
  CHECK(status.at("target_groups").as_array()[0].as_object().at("routable_targets").as_int64() ==
        1);

  // New users all go to "b"; the bound user is moved there with a new cookie.
  for (int i = 0; i < 10; ++i) {
    HttpClient user(port);
    CHECK(target_of(user.get("/")) == "b");
  }
  HttpClient bound(port);
  HttpResponse moved = bound.request("GET", "/", cookie_header(a_cookie));
  CHECK(target_of(moved) == "b");
  const std::string b_cookie = sticky_value(moved);
  CHECK(b_cookie.size() == 76);
  CHECK(target_of(bound.request("GET", "/", cookie_header(b_cookie))) == "b");
  CHECK(admin.metrics().value("albatross_non_sticky_requests_total",
                              {{"target_group", "app"}, {"reason", "target_unavailable"}}) == 1);
  // The exchange in flight when the drain began finishes where it started.
  auto held = holder.read_response(after(seconds(10)));
  REQUIRE(held);
  CHECK(held->status == 200);
  CHECK(target_of(*held) == "a");

  // A reload leaves the operator's drain in place.
  REQUIRE(albatross.reload());
  const json::object reloaded = admin.status();
  shown = AdminClient::find_target(reloaded, "app", a);
  REQUIRE(shown != nullptr);
  CHECK(shown->at("state").as_string() == "draining");
  CHECK(parse_iso8601(shown->at("drain_deadline")) == deadline);
  for (int i = 0; i < 4; ++i) {
    HttpClient user(port);
    CHECK(target_of(user.get("/")) == "b");
  }

  // Mistakes are refused and change nothing.
  CHECK(admin.post("/targets/drain", "target_group=app").status == 400);
  CHECK(admin.post("/targets/drain", "target_group=app&target=127.0.0.1%3A1").status == 404);
  CHECK(admin.post("/targets/drain", "target_group=nope&target=" + a).status == 404);

  // Activate, with the parameters in the query this time.
  HttpResponse activate =
      admin.post("/targets/activate?target_group=app&target=" + a, "", "", after(seconds(5)));
  CHECK(activate.status == 200);
  const json::object restored = admin.status();
  shown = AdminClient::find_target(restored, "app", a);
  REQUIRE(shown != nullptr);
  CHECK(shown->at("state").as_string() == "healthy");
  CHECK(shown->at("drain_deadline").is_null());
  std::map<std::string, int> by_target;
  for (int i = 0; i < 10; ++i) {
    HttpClient user(port);
    ++by_target[target_of(user.get("/"))];
  }
  CHECK(by_target["a"] == 5);
  CHECK(by_target["b"] == 5);
}

TEST_CASE("a drained target is shown unused once its deregistration delay has passed") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app")
          .target_group("app", targets.ports(), "deregistration_delay = \"1s\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string a = loopback(targets.port(0));
  REQUIRE(admin.post("/targets/drain", "target_group=app&target=" + a).status == 200);
  const TimePoint drained = Clock::now();
  CHECK(admin.target_state("app", a) == "draining");
  REQUIRE(admin.wait_target_state("app", a, "unused", after(seconds(5))));
  CHECK(elapsed_ms(drained) >= milliseconds(900));
  const json::object status = admin.status();
  CHECK(AdminClient::find_target(status, "app", a)->at("reason").as_string() == "Target.NotInUse");
  HttpClient client(albatross.port("web"));
  for (int i = 0; i < 4; ++i)
    CHECK(target_of(client.get("/")) == "b");
  REQUIRE(admin.post("/targets/activate", "target_group=app&target=" + a).status == 200);
  CHECK(admin.target_state("app", a) == "unavailable");  // health checks are off
  std::map<std::string, int> by_target;
  for (int i = 0; i < 4; ++i)
    ++by_target[target_of(client.get("/"))];
  CHECK(by_target["a"] == 2);
  CHECK(by_target["b"] == 2);
}

TEST_CASE("with admin_token_file, state-changing calls need the bearer token; GETs do not") {
  Targets targets({"a"});
  TempFile token("correct-horse-battery-staple-42\n", ".token");
  REQUIRE(::chmod(token.path().c_str(), 0600) == 0);
  const std::string text = ConfigText()
                               .admin("127.0.0.1:0")
                               .global("admin_token_file = \"" + token.path() + "\"")
                               .listener("web", "app")
                               .target_group("app", targets.ports())
                               .str();
  AlbatrossProcess albatross(text);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string form = "target_group=app&target=" + loopback(targets.port(0));

  for (const std::string path : {"/reload", "/targets/drain", "/targets/activate"}) {
    CAPTURE(path);
    std::string body = path == "/reload" ? "" : form;
    HttpResponse none = admin.post(path, body);
    CHECK(none.status == 401);
    CHECK(none.header("WWW-Authenticate") == "Bearer");
    CHECK(admin.post(path, body, "wrong-token-of-some-length").status == 401);
    CHECK(admin.post(path, body, "correct-horse-battery-staple-4").status == 401);  // a prefix
    CHECK(admin.post(path, body, "correct-horse-battery-staple-42").status == 200);
  }
  CHECK(albatross.log_count("configuration reloaded") == 1);
  CHECK(albatross.log_count("drained by the operator") == 1);
  for (const std::string path : {"/ping", "/status", "/metrics"}) {
    CAPTURE(path);
    CHECK(admin.get(path).status == 200);
  }

  // The token file must be private; a non-loopback admin address requires one.
  REQUIRE(::chmod(token.path().c_str(), 0640) == 0);
  AlbatrossProcess exposed(text);
  std::string why;
  try {
    exposed.start();
  } catch (const std::exception& e) {
    why = e.what();
  }
  CHECK(why.find("readable by group or others") != std::string::npos);
  CHECK(admin.post("/reload", "", "correct-horse-battery-staple-42").status == 500);
  REQUIRE(::chmod(token.path().c_str(), 0600) == 0);

  CommandResult open_admin = run_check(ConfigText()
                                           .admin("0.0.0.0:0")
                                           .listener("web", "app")
                                           .target_group("app", targets.ports())
                                           .str());
  CHECK(open_admin.exit_code == 1);
  CHECK(open_admin.out.find("global.admin: a non-loopback admin address requires "
                            "global.admin_token_file") != std::string::npos);
  CommandResult guarded = run_check(ConfigText()
                                        .admin("0.0.0.0:0")
                                        .global("admin_token_file = \"" + token.path() + "\"")
                                        .listener("web", "app")
                                        .target_group("app", targets.ports())
                                        .str());
  CHECK(guarded.exit_code == 0);
  CHECK(guarded.out == "configuration OK\n");
}

TEST_CASE("POST /reload applies a changed configuration and reports a broken one") {
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

  albatross.rewrite_config(config(targets.port(1)));
  HttpResponse ok = admin.post("/reload");
  CHECK(ok.status == 200);
  CHECK(ok.body == "configuration reloaded\n");
  CHECK(target_of(client.get("/")) == "b");

  albatross.rewrite_config(config(targets.port(1)) + "\n[bogus]\nkey = 1\n");
  HttpResponse failed = admin.post("/reload");
  CHECK(failed.status == 500);
  CHECK(failed.body.starts_with("reload failed: " + albatross.config_path() + ":"));
  CHECK(failed.body.find("bogus") != std::string::npos);
  CHECK(target_of(client.get("/")) == "b");
}

}  // namespace
}  // namespace albatross::testing
