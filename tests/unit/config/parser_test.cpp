#include "albatross/config/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace albatross::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kFile = "albatross.toml";

// The smallest configuration parse() accepts as a whole.
constexpr std::string_view kMinimal = R"([[listener]]
name = "web"
bind = "127.0.0.1:8080"
target_group = "app"

[[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]
)";

Config parse_clean(std::string_view text) {
  ConfigErrors errors;
  Config config = parse(text, kFile, errors);
  std::string all;
  for (const ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), all);
  return config;
}

// Parses text expected to hold exactly one error and returns it rendered.
std::string single_error(std::string_view text) {
  ConfigErrors errors;
  parse(text, kFile, errors);
  std::string all;
  for (const ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.size() == 1, all);
  return errors[0].to_string();
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return std::string_view(s).substr(0, prefix.size()) == prefix;
}

// kMinimal with `extra` inserted right after the line holding `after`.
std::string with_line(std::string_view after, std::string_view extra) {
  std::string text(kMinimal);
  std::size_t at = text.find(after);
  REQUIRE(at != std::string::npos);
  at = text.find('\n', at) + 1;
  text.insert(at, std::string(extra) + "\n");
  return text;
}

TEST_CASE("parse fills defaults for every absent key") {
  Config c = parse_clean(kMinimal);
  CHECK(c.file == kFile);
  CHECK(c.global.threads == 0);
  CHECK(c.global.shutdown_timeout == seconds(30));
  REQUIRE(c.global.admin.has_value());
  CHECK(*c.global.admin == HostPort{"127.0.0.1", 9901});
  CHECK(c.global.sticky_key_file.empty());

  REQUIRE(c.listeners.size() == 1);
  const ListenerConfig& l = c.listeners[0];
  CHECK(l.name == "web");
  CHECK(l.bind == HostPort{"127.0.0.1", 8080});
  CHECK(l.target_group == "app");
  CHECK(l.idle_timeout == seconds(60));
  CHECK(l.header_timeout == seconds(10));
  CHECK(l.body_timeout == seconds(30));
  CHECK(l.body_min_rate == 500);

  REQUIRE(c.target_groups.size() == 1);
  const TargetGroupConfig& g = c.target_groups[0];
  CHECK(g.name == "app");
  CHECK(g.algorithm == Algorithm::round_robin);
  REQUIRE(g.targets.size() == 1);
  CHECK(g.targets[0] == HostPort{"127.0.0.1", 9001});
  CHECK(g.connect_timeout == seconds(10));
  CHECK(g.response_timeout == seconds(120));
  CHECK(g.keepalive_timeout == seconds(4));
  CHECK(g.max_idle_connections == 64);
  CHECK(g.fail_open);
  CHECK(g.slow_start == Duration::zero());
  CHECK(g.deregistration_delay == seconds(300));
  const HealthCheckConfig& h = g.health_check;
  CHECK(h.enabled);
  CHECK(h.path == "/ping");
  CHECK_FALSE(h.port.has_value());
  CHECK(h.interval == seconds(30));
  CHECK(h.timeout == seconds(5));
  CHECK(h.healthy_threshold == 5);
  CHECK(h.unhealthy_threshold == 2);
  CHECK(h.matcher.to_string() == "200");
  const StickinessConfig& s = g.stickiness;
  CHECK_FALSE(s.enabled);
  CHECK(s.cookie_name == "AWSALB");
  CHECK(s.duration == seconds(86400));
}

TEST_CASE("parse reads every key") {
  Config c = parse_clean(R"(
[global]
threads = 4
shutdown_timeout = "45s"
admin = "[::1]:0"
sticky_key_file = "/etc/albatross/key"

[[listener]]
name = "web"
bind = "[::]:0"
target_group = "app"
idle_timeout = "2m"
header_timeout = "500ms"
body_timeout = "5s"
body_min_rate = 0

[[listener]]
name = "api"
bind = "0.0.0.0:8443"
target_group = "app"

[[target_group]]
name = "app"
algorithm = "least_outstanding_requests"
targets = ["10.0.0.1:80", "[2001:db8::1]:8080", "backend.internal:81"]
connect_timeout = "250ms"
response_timeout = "1h"
keepalive_timeout = "0s"
max_idle_connections = 0
fail_open = false
slow_start = "0s"
deregistration_delay = "0s"

[target_group.health_check]
enabled = false
path = "/healthz?full=1"
port = 9000
interval = "10s"
timeout = "2s"
healthy_threshold = 10
unhealthy_threshold = 3
matcher = "200-299,302"

[target_group.stickiness]
enabled = true
type = "lb_cookie"
cookie_name = "SESSION.ID_1"
duration = "7d"
)");
  CHECK(c.global.threads == 4);
  CHECK(c.global.shutdown_timeout == seconds(45));
  CHECK(*c.global.admin == HostPort{"::1", 0});
  CHECK(c.global.sticky_key_file == "/etc/albatross/key");
  REQUIRE(c.listeners.size() == 2);
  CHECK(c.listeners[0].bind == HostPort{"::", 0});
  CHECK(c.listeners[0].idle_timeout == minutes(2));
  CHECK(c.listeners[0].header_timeout == milliseconds(500));
  CHECK(c.listeners[0].body_timeout == seconds(5));
  CHECK(c.listeners[0].body_min_rate == 0);
  CHECK(c.listeners[1].name == "api");
  CHECK(c.listeners[1].bind == HostPort{"0.0.0.0", 8443});
  REQUIRE(c.target_groups.size() == 1);
  const TargetGroupConfig& g = c.target_groups[0];
  CHECK(g.algorithm == Algorithm::least_outstanding_requests);
  REQUIRE(g.targets.size() == 3);
  CHECK(g.targets[1] == HostPort{"2001:db8::1", 8080});
  CHECK(g.targets[2] == HostPort{"backend.internal", 81});
  CHECK(g.connect_timeout == milliseconds(250));
  CHECK(g.response_timeout == hours(1));
  CHECK(g.keepalive_timeout == Duration::zero());
  CHECK(g.max_idle_connections == 0);
  CHECK_FALSE(g.fail_open);
  CHECK(g.deregistration_delay == Duration::zero());
  CHECK_FALSE(g.health_check.enabled);
  CHECK(g.health_check.path == "/healthz?full=1");
  CHECK(g.health_check.port == std::optional<std::uint16_t>(9000));
  CHECK(g.health_check.interval == seconds(10));
  CHECK(g.health_check.timeout == seconds(2));
  CHECK(g.health_check.healthy_threshold == 10);
  CHECK(g.health_check.unhealthy_threshold == 3);
  CHECK(g.health_check.matcher.matches(250));
  CHECK(g.health_check.matcher.matches(302));
  CHECK_FALSE(g.health_check.matcher.matches(301));
  CHECK(g.stickiness.enabled);
  CHECK(g.stickiness.cookie_name == "SESSION.ID_1");
  CHECK(g.stickiness.duration == hours(24 * 7));
}

TEST_CASE("parse: an empty admin address disables the admin endpoint") {
  Config c = parse_clean(std::string("[global]\nadmin = \"\"\n") + std::string(kMinimal));
  CHECK_FALSE(c.global.admin.has_value());
}

TEST_CASE("parse: admin_allowed_hosts are stored in the form the admin endpoint compares") {
  Config c = parse_clean(
      std::string(
          "[global]\nadmin_allowed_hosts = [\"Albatross.Internal.\", \"[FD00::1]:8080\"]\n") +
      std::string(kMinimal));
  CHECK(c.global.admin_allowed_hosts ==
        std::vector<std::string>{"albatross.internal", "[fd00::1]:8080"});
  CHECK(parse_clean(kMinimal).global.admin_allowed_hosts.empty());
}

TEST_CASE("parse: admin_allowed_hosts refuses wildcards, URLs and non-strings by key path") {
  for (std::string_view bad :
       {"\"*.example\"", "\"http://a.example\"", "\"a.example:0\"", "1", "\"a b\"", "\"\""}) {
    std::string error = single_error(std::string("[global]\nadmin_allowed_hosts = [\"ok\", ") +
                                     std::string(bad) + "]\n" + std::string(kMinimal));
    CAPTURE(error);
    CHECK(starts_with(error, "albatross.toml:2:"));
    CHECK(error.find("global.admin_allowed_hosts[1]") != std::string::npos);
  }
  std::string error =
      single_error(std::string("[global]\nadmin_allowed_hosts = \"a\"\n") + std::string(kMinimal));
  CHECK(error.find("global.admin_allowed_hosts") != std::string::npos);
  CHECK(error.find("array") != std::string::npos);
}

TEST_CASE("parse: health_check.port accepts traffic-port") {
  Config c =
      parse_clean(std::string(kMinimal) + "[target_group.health_check]\nport = \"traffic-port\"\n");
  CHECK_FALSE(c.target_groups[0].health_check.port.has_value());
}

TEST_CASE("parse: slow_start accepts 0s and 30s..900s") {
  CHECK(parse_clean(with_line("name = \"app\"", "slow_start = \"30s\""))
            .target_groups[0]
            .slow_start == seconds(30));
  CHECK(parse_clean(with_line("name = \"app\"", "slow_start = \"15m\""))
            .target_groups[0]
            .slow_start == minutes(15));
}

TEST_CASE("parse reports a TOML syntax error with its line and column") {
  // No key path: "FILE:LINE:COL: message", and parsing stops there.
  CHECK(single_error("[global]\nthreads = 4\nshutdown_timeout = = \"5s\"\nbogus = 1\n") ==
        "albatross.toml:3:20: Error while parsing value: could not determine value type");
  CHECK(single_error("[[listener]\nname = \"x\"\n") ==
        "albatross.toml:1:12: Error while parsing table header: expected ']', saw '\\n'");
  CHECK(single_error("[global]\nthreads = 4\nthreads = 5\n") ==
        "albatross.toml:3:11: Error while parsing key-value pair: cannot redefine existing "
        "integer 'threads'");
}

TEST_CASE("parse reports unknown keys at every level, with their line") {
  CHECK(single_error("bogus = 1\n" + std::string(kMinimal)) ==
        "albatross.toml:1:1: bogus: unknown key");
  CHECK(single_error("[global]\nthreads = 2\n  bogus = true\n" + std::string(kMinimal)) ==
        "albatross.toml:3:3: global.bogus: unknown key");
  CHECK(single_error(with_line("bind = ", "bogus = 1")) ==
        "albatross.toml:4:1: listener[0].bogus: unknown key");
  CHECK(single_error(with_line("targets = ", "bogus = 1")) ==
        "albatross.toml:9:1: target_group[0].bogus: unknown key");
  CHECK(single_error(std::string(kMinimal) + "[target_group.health_check]\nbogus = 1\n") ==
        "albatross.toml:10:1: target_group[0].health_check.bogus: unknown key");
  CHECK(single_error(std::string(kMinimal) + "[target_group.stickiness]\nenabled = true\n"
                                             "bogus = 1\n") ==
        "albatross.toml:11:1: target_group[0].stickiness.bogus: unknown key");
  // A table nobody asked for is one unknown key (located at its name), not one per key inside.
  CHECK(single_error(std::string(kMinimal) + "[extra]\na = 1\nb = 2\n") ==
        "albatross.toml:9:2: extra: unknown key");
  // A second listener's unknown key carries its own index.
  std::string two = std::string(kMinimal) +
                    "[[listener]]\nname = \"b\"\nbind = \"127.0.0.1:81\"\n"
                    "target_group = \"app\"\ntypo = 1\n";
  CHECK(single_error(two) == "albatross.toml:13:1: listener[1].typo: unknown key");
}

TEST_CASE("parse reports wrong value types") {
  CHECK(single_error("[global]\nthreads = \"4\"\n" + std::string(kMinimal)) ==
        "albatross.toml:2:11: global.threads: expected an integer, got a string");
  CHECK(single_error("[global]\nshutdown_timeout = 30\n" + std::string(kMinimal)) ==
        "albatross.toml:2:20: global.shutdown_timeout: expected a string, got an integer");
  CHECK(single_error("[global]\nadmin = 9901\n" + std::string(kMinimal)) ==
        "albatross.toml:2:9: global.admin: expected a string, got an integer");
  CHECK(single_error("[global]\nthreads = 1.5\n" + std::string(kMinimal)) ==
        "albatross.toml:2:11: global.threads: expected an integer, got a float");
  CHECK(single_error("global = 1\n" + std::string(kMinimal)) ==
        "albatross.toml:1:10: global: expected a table, got an integer");
  CHECK(single_error(with_line("name = \"app\"", "fail_open = \"yes\"")) ==
        "albatross.toml:8:13: target_group[0].fail_open: expected true or false, got a string");
  CHECK(single_error(with_line("name = \"app\"", "health_check = 1")) ==
        "albatross.toml:8:16: target_group[0].health_check: expected a table, got an integer");
  CHECK(single_error(with_line("name = \"app\"", "stickiness = []")) ==
        "albatross.toml:8:14: target_group[0].stickiness: expected a table, got an array");
  CHECK(single_error(with_line("bind = ", "idle_timeout = 60")) ==
        "albatross.toml:4:16: listener[0].idle_timeout: expected a string, got an integer");
  CHECK(single_error(std::string(kMinimal) + "[target_group.health_check]\nmatcher = 200\n") ==
        "albatross.toml:10:11: target_group[0].health_check.matcher: expected a string, got an "
        "integer");
  CHECK(single_error(std::string(kMinimal) + "[target_group.health_check]\nenabled = 1\n") ==
        "albatross.toml:10:11: target_group[0].health_check.enabled: expected true or false, got "
        "an integer");
  CHECK(single_error(std::string(kMinimal) + "[target_group.stickiness]\ncookie_name = true\n") ==
        "albatross.toml:10:15: target_group[0].stickiness.cookie_name: expected a string, got a "
        "boolean");
}

TEST_CASE("parse reports [[listener]] and [[target_group]] written as something else") {
  CHECK(single_error("listener = 5\n") ==
        "albatross.toml:1:12: listener: expected an array of tables ([[listener]]), got an "
        "integer");
  CHECK(single_error("target_group = [\"a\"]\n") ==
        "albatross.toml:1:16: target_group: expected an array of tables ([[target_group]]), got "
        "an array");
}

TEST_CASE("parse reports wrong target entries with their index") {
  std::string text(kMinimal);
  text.replace(text.find("targets = ["), std::string("targets = [\"127.0.0.1:9001\"]").size(),
               "targets = [\"127.0.0.1:9001\", 7, \"nope\", \"10.0.0.1:0\"]");
  ConfigErrors errors;
  Config c = parse(text, kFile, errors);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].to_string() ==
        "albatross.toml:8:30: target_group[0].targets[1]: expected a \"host:port\" string, got an "
        "integer");
  CHECK(errors[1].to_string() ==
        "albatross.toml:8:33: target_group[0].targets[2]: invalid address \"nope\": expected "
        "\"host:port\"");
  CHECK(errors[2].to_string() ==
        "albatross.toml:8:41: target_group[0].targets[3]: invalid address \"10.0.0.1:0\": port "
        "must be 1..65535");
  CHECK(c.target_groups[0].targets.size() == 1);

  CHECK(single_error(with_line("name = \"app\"", "targets2 = 1")) ==
        "albatross.toml:8:1: target_group[0].targets2: unknown key");
  std::string not_array(kMinimal);
  not_array.replace(not_array.find("[\"127.0.0.1:9001\"]"), 18, "\"127.0.0.1:9001\"");
  CHECK(single_error(not_array) ==
        "albatross.toml:8:11: target_group[0].targets: expected an array, got a string");
}

TEST_CASE("parse reports out-of-range integers") {
  CHECK(single_error("[global]\nthreads = 1025\n" + std::string(kMinimal)) ==
        "albatross.toml:2:11: global.threads: must be between 0 and 1024 (got 1025)");
  CHECK(single_error("[global]\nthreads = -1\n" + std::string(kMinimal)) ==
        "albatross.toml:2:11: global.threads: must be between 0 and 1024 (got -1)");
  CHECK(single_error(with_line("name = \"app\"", "max_idle_connections = 100001")) ==
        "albatross.toml:8:24: target_group[0].max_idle_connections: must be between 0 and 100000 "
        "(got 100001)");
  std::string hc = std::string(kMinimal) + "[target_group.health_check]\n";
  CHECK(single_error(hc + "healthy_threshold = 1\n") ==
        "albatross.toml:10:21: target_group[0].health_check.healthy_threshold: must be between 2 "
        "and 10 (got 1)");
  CHECK(single_error(hc + "unhealthy_threshold = 11\n") ==
        "albatross.toml:10:23: target_group[0].health_check.unhealthy_threshold: must be between "
        "2 and 10 (got 11)");
  for (const char* port : {"0", "65536", "-1", "\"80\"", "true"}) {
    CAPTURE(port);
    std::string e = single_error(hc + "port = " + port + "\n");
    CHECK(starts_with(e,
                      "albatross.toml:10:8: target_group[0].health_check.port: must be "
                      "\"traffic-port\" or a port number 1..65535"));
  }
}

TEST_CASE("parse reports out-of-range and malformed durations") {
  CHECK(single_error(with_line("bind = ", "idle_timeout = \"0s\"")) ==
        "albatross.toml:4:16: listener[0].idle_timeout: must be between 1s and 4000s (got \"0s\")");
  CHECK(single_error(with_line("bind = ", "idle_timeout = \"4001s\"")) ==
        "albatross.toml:4:16: listener[0].idle_timeout: must be between 1s and 4000s (got "
        "\"4001s\")");
  CHECK(single_error(with_line("bind = ", "header_timeout = \"99ms\"")) ==
        "albatross.toml:4:18: listener[0].header_timeout: must be between 100ms and 10m (got "
        "\"99ms\")");
  CHECK(single_error(with_line("bind = ", "body_timeout = \"11m\"")) ==
        "albatross.toml:4:16: listener[0].body_timeout: must be between 100ms and 10m (got "
        "\"11m\")");
  CHECK(single_error(with_line("bind = ", "body_min_rate = -1")) ==
        "albatross.toml:4:17: listener[0].body_min_rate: must be between 0 and 1000000000 (got "
        "-1)");
  CHECK(single_error(with_line("name = \"app\"", "slow_start = \"29s\"")) ==
        "albatross.toml:8:14: target_group[0].slow_start: must be between 30s and 15m (or 0s) "
        "(got \"29s\")");
  CHECK(single_error(with_line("name = \"app\"", "deregistration_delay = \"3601s\"")) ==
        "albatross.toml:8:24: target_group[0].deregistration_delay: must be between 0s and 1h "
        "(got \"3601s\")");
  CHECK(single_error(with_line("name = \"app\"", "connect_timeout = \"5\"")) ==
        "albatross.toml:8:19: target_group[0].connect_timeout: invalid duration \"5\": missing "
        "unit (ms, s, m, h or d)");
  CHECK(single_error(with_line("name = \"app\"", "response_timeout = \"1.5s\"")) ==
        "albatross.toml:8:20: target_group[0].response_timeout: invalid duration \"1.5s\": unknown "
        "unit \".5s\" (use ms, s, m, h or d)");
  std::string hc = std::string(kMinimal) + "[target_group.health_check]\n";
  CHECK(single_error(hc + "interval = \"301s\"\n") ==
        "albatross.toml:10:12: target_group[0].health_check.interval: must be between 1s and 5m "
        "(got \"301s\")");
  CHECK(single_error(hc + "timeout = \"50ms\"\n") ==
        "albatross.toml:10:11: target_group[0].health_check.timeout: must be between 100ms and 2m "
        "(got \"50ms\")");
  CHECK(single_error(std::string(kMinimal) + "[target_group.stickiness]\nduration = \"8d\"\n") ==
        "albatross.toml:10:12: target_group[0].stickiness.duration: must be between 1s and 7d "
        "(got \"8d\")");
  CHECK(single_error("[global]\nshutdown_timeout = \"25h\"\n" + std::string(kMinimal)) ==
        "albatross.toml:2:20: global.shutdown_timeout: must be between 0s and 1d (got \"25h\")");
}

TEST_CASE("parse reports bad addresses") {
  std::string text(kMinimal);
  text.replace(text.find("\"127.0.0.1:8080\""), 16, "\"localhost\"");
  CHECK(single_error(text) ==
        "albatross.toml:3:8: listener[0].bind: invalid address \"localhost\": expected "
        "\"host:port\"");
  CHECK(single_error("[global]\nadmin = \"::1:9901\"\n" + std::string(kMinimal)) ==
        "albatross.toml:2:9: global.admin: invalid address \"::1:9901\": write IPv6 addresses as "
        "\"[addr]:port\"");
}

TEST_CASE("parse reports bad choices and bad strings") {
  CHECK(single_error(with_line("name = \"app\"", "algorithm = \"random\"")) ==
        "albatross.toml:8:13: target_group[0].algorithm: unknown value \"random\" (expected one "
        "of \"round_robin\", \"least_outstanding_requests\")");
  std::string sticky = std::string(kMinimal) + "[target_group.stickiness]\n";
  CHECK(single_error(sticky + "type = \"app_cookie\"\n") ==
        "albatross.toml:10:8: target_group[0].stickiness.type: unknown value \"app_cookie\" "
        "(expected one of \"lb_cookie\")");
  CHECK(single_error(sticky + "cookie_name = \"bad name\"\n") ==
        "albatross.toml:10:15: target_group[0].stickiness.cookie_name: must be 1..64 characters "
        "of A-Z a-z 0-9 - _ .");
  std::string hc = std::string(kMinimal) + "[target_group.health_check]\n";
  CHECK(single_error(hc + "path = \"ping\"\n") ==
        "albatross.toml:10:8: target_group[0].health_check.path: must start with \"/\"");
  CHECK(single_error(hc + "path = \"/a b\"\n") ==
        "albatross.toml:10:8: target_group[0].health_check.path: must not contain spaces or "
        "control characters");
  CHECK(single_error(hc + "matcher = \"200-600\"\n") ==
        "albatross.toml:10:11: target_group[0].health_check.matcher: invalid matcher \"200-600\": "
        "codes must be within 200..499");
}

TEST_CASE("parse reports missing required keys at the table that lacks them") {
  CHECK(single_error("[[listener]]\nbind = \"127.0.0.1:1\"\ntarget_group = \"app\"\n") ==
        "albatross.toml:1:1: listener[0].name: missing required key");
  CHECK(single_error("\n\n[[listener]]\nname = \"x\"\n") ==
        "albatross.toml:3:1: listener[0].bind: missing required key");
  CHECK(single_error("[[target_group]]\ntargets = []\n") ==
        "albatross.toml:1:1: target_group[0].name: missing required key");
  // A present but wrong-typed name is a type error only, not also "missing".
  CHECK(single_error("[[target_group]]\nname = 5\n") ==
        "albatross.toml:2:8: target_group[0].name: expected a string, got an integer");
}

TEST_CASE("parse reports every error of one run, each with its own line") {
  std::string text = R"([global]
threads = "many"
bogus = 1

[[listener]]
bind = "nowhere"
idle_timeout = "forever"

[[target_group]]
name = "app"
targets = ["127.0.0.1:70000"]
algorithm = "fastest"

[target_group.health_check]
healthy_threshold = 0
extra = true

[target_group.stickiness]
duration = "0s"
)";
  ConfigErrors errors;
  parse(text, kFile, errors);
  std::vector<std::string> rendered;
  for (const ConfigError& e : errors)
    rendered.push_back(e.to_string());
  std::sort(rendered.begin(), rendered.end());
  std::vector<std::string> expected = {
      "albatross.toml:11:12: target_group[0].targets[0]: invalid address \"127.0.0.1:70000\": "
      "port must be 1..65535",
      "albatross.toml:12:13: target_group[0].algorithm: unknown value \"fastest\" (expected one "
      "of \"round_robin\", \"least_outstanding_requests\")",
      "albatross.toml:15:21: target_group[0].health_check.healthy_threshold: must be between 2 "
      "and 10 (got 0)",
      "albatross.toml:16:1: target_group[0].health_check.extra: unknown key",
      "albatross.toml:19:12: target_group[0].stickiness.duration: must be between 1s and 7d (got "
      "\"0s\")",
      "albatross.toml:2:11: global.threads: expected an integer, got a string",
      "albatross.toml:3:1: global.bogus: unknown key",
      "albatross.toml:5:1: listener[0].name: missing required key",
      "albatross.toml:6:8: listener[0].bind: invalid address \"nowhere\": expected \"host:port\"",
      "albatross.toml:7:16: listener[0].idle_timeout: invalid duration \"forever\": expected a "
      "whole number followed by ms, s, m, h or d",
  };
  CHECK(rendered == expected);
}

TEST_CASE("parse records where each key was written") {
  Config c = parse_clean(kMinimal);
  CHECK(c.location_of("listener[0]").line == 1);
  CHECK(c.location_of("listener[0].bind").line == 3);
  CHECK(c.location_of("target_group[0].targets[0]").line == 8);
  CHECK(c.location_of("target_group[0].name").line == 7);
  // Unrecorded paths fall back to the closest enclosing key.
  CHECK(c.location_of("target_group[0].health_check.timeout").line == 6);
  CHECK(c.location_of("nothing.at.all").line == 0);
}

}  // namespace
}  // namespace albatross::config

namespace albatross::config {
namespace {

TEST_CASE("parse reads the fleet keys: resolvers, state_file, dns_refresh") {
  Config defaults = parse_clean(kMinimal);
  CHECK(defaults.global.resolvers.empty());
  CHECK(defaults.global.state_file.empty());
  CHECK(defaults.target_groups[0].dns_refresh == seconds(30));

  Config c =
      parse_clean(std::string("[global]\nresolvers = [\"127.0.0.1:5353\", \"10.0.0.2\", "
                              "\"[fd00::53]:53\"]\nstate_file = \"/var/lib/a/state.toml\"\n") +
                  with_line("name = \"app\"", "dns_refresh = \"0s\""));
  REQUIRE(c.global.resolvers.size() == 3);
  CHECK(c.global.resolvers[0] == HostPort{"127.0.0.1", 5353});
  CHECK(c.global.resolvers[1] == HostPort{"10.0.0.2", 53});
  CHECK(c.global.resolvers[2] == HostPort{"fd00::53", 53});
  CHECK(c.global.state_file == "/var/lib/a/state.toml");
  CHECK(c.target_groups[0].dns_refresh == Duration::zero());
}

TEST_CASE("parse refuses bad fleet keys, naming each key path") {
  CHECK(single_error(std::string("[global]\nresolvers = [\"dns.internal:53\"]\n") +
                     std::string(kMinimal))
            .starts_with("albatross.toml:2:14: global.resolvers[0]: \"dns.internal:53\": expected "
                         "an IP address"));
  CHECK(single_error(std::string("[global]\nresolvers = \"127.0.0.1\"\n") + std::string(kMinimal))
            .starts_with("albatross.toml:2:13: global.resolvers: expected an array"));
  CHECK(single_error(std::string("[global]\nresolvers = [53]\n") + std::string(kMinimal))
            .starts_with("albatross.toml:2:14: global.resolvers[0]: expected a string"));
  CHECK(single_error(std::string("[global]\nstate_file = 1\n") + std::string(kMinimal))
            .starts_with("albatross.toml:2:14: global.state_file: expected a string"));
  CHECK(single_error(with_line("name = \"app\"", "dns_refresh = \"500ms\"")) ==
        "albatross.toml:8:15: target_group[0].dns_refresh: must be between 1s and 1d (or 0s) "
        "(got \"500ms\")");
  CHECK(single_error(with_line("name = \"app\"", "dns_refreshh = \"5s\"")) ==
        "albatross.toml:8:1: target_group[0].dns_refreshh: unknown key");
}

}  // namespace
}  // namespace albatross::config
