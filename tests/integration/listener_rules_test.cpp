// Listener rules through the real binary: host, path, header, method and source_ip conditions
// sending requests to their target groups in priority order; fixed responses served on a
// connection kept alive; redirects with placeholders and redirect_to_https; the access log's
// matched_rule_priority, actions_executed and redirect_url; the per-rule metrics; a rule change
// by SIGHUP; and --check refusing duplicate priorities, loops and unknown groups.
#include <doctest/doctest.h>

#include <fstream>

#include "albatross/common/str_cat.hpp"

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/command_result.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/sticky_session.hpp"
#include "support/targets.hpp"
#include "support/temp_file.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

// Sends one request with the given Host on `client`'s connection (opening one if needed) and
// reads the response. Nullopt when none arrives complete, e.g. because the connection was closed.
std::optional<HttpResponse> ask(HttpClient& client, std::string_view method,
                                std::string_view target, std::string_view host,
                                std::string_view extra = "") {
  if (!client.is_open()) client.connect();
  std::string text =
      str_cat(method, ' ', target, " HTTP/1.1\r\nHost: ", host, "\r\n", extra, "\r\n");
  if (!client.send(text, after(seconds(5)))) return std::nullopt;
  HttpClient::ReadOptions options;
  options.head_request = method == "HEAD";
  std::optional<HttpResponse> response = client.read_response(after(seconds(10)), options);
  if (response && !response->complete) return std::nullopt;
  return response;
}

HttpResponse must_ask(HttpClient& client, std::string_view method, std::string_view target,
                      std::string_view host, std::string_view extra = "") {
  std::optional<HttpResponse> response = ask(client, method, target, host, extra);
  REQUIRE_MESSAGE(response.has_value(), method, ' ', target, " Host: ", host, ": ", client.error());
  return *response;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The access-log line (JSON format) whose request field holds `request`, once written.
std::string log_line_for(const std::string& path, std::string_view request) {
  std::string found;
  wait_until(
      [&] {
        for (const std::string& line : read_lines(path)) {
          if (line.find(request) != std::string::npos) found = line;
        }
        return !found.empty();
      },
      after(seconds(5)));
  return found;
}

constexpr std::string_view kRules = R"(
[[listener.rule]]
priority = 10
host = ["api.example.com", "*.api.example.com"]
target_group = "api"

[[listener.rule]]
priority = 20
path = ["/api/*", "/v?/*"]
target_group = "api"

[[listener.rule]]
priority = 5
header = { "X-Canary" = ["1", "yes*"] }
target_group = "canary"

[[listener.rule]]
priority = 30
method = ["DELETE", "PURGE"]
path = "/items/*"
fixed_response = { status = 403, body = "no deletes" }

[[listener.rule]]
priority = 40
source_ip = ["10.0.0.0/8", "2001:db8::/32"]
fixed_response = { status = 403, body = "internal only" }

[[listener.rule]]
priority = 41
source_ip = "127.0.0.2/32"
path = "/local"
target_group = "canary"

[[listener.rule]]
priority = 42
source_ip = "127.0.0.1/32"
path = "/local"
fixed_response = { status = 200, content_type = "application/json", body = '{"from":"loopback"}' }

[[listener.rule]]
priority = 50
path = "/maintenance"
fixed_response = { status = 503, content_type = "text/html; charset=utf-8", body = "<h1>maintenance</h1>" }

[[listener.rule]]
priority = 60
path = "/old/*"
redirect = { host = "www.#{host}", path = "/new/#{path}", query = "from=old&#{query}", status = 302 }

[[listener.rule]]
priority = 61
host = "legacy.example.com"
redirect = { protocol = "HTTPS", port = "443", host = "new.example.com" }
)";

TEST_CASE("rules route by host, path, header, method and source_ip, lowest priority first") {
  Targets targets({"app", "api", "canary"});
  TempFile log("", ".log");
  AlbatrossProcess albatross(
      ConfigText()
          .admin()
          .global("access_log = \"" + log.path() + "\"\naccess_log_format = \"json\"")
          .listener("web", "app", kRules)
          .target_group("app", {targets.port(0)})
          .target_group("api", {targets.port(1)})
          .target_group("canary", {targets.port(2)})
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t web = albatross.port("web");
  HttpClient client(web);

  // host: case-insensitive, wildcards, compared without the port.
  CHECK(target_of(must_ask(client, "GET", "/", "api.example.com")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/", "API.Example.COM:1234")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/", "eu.api.example.com")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/", "example.com")) == "app");
  CHECK(target_of(must_ask(client, "GET", "/", "api.example.com.evil")) == "app");
  // path: case-sensitive, wildcards, without the query.
  CHECK(target_of(must_ask(client, "GET", "/api/users?id=1", "example.com")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/v2/users", "example.com")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/API/users", "example.com")) == "app");
  CHECK(target_of(must_ask(client, "GET", "/web?next=/api/x", "example.com")) == "app");
  // header (priority 5) wins over host (10): name and value case-insensitive.
  CHECK(target_of(must_ask(client, "GET", "/", "api.example.com", "x-canary: 1\r\n")) == "canary");
  CHECK(target_of(must_ask(client, "GET", "/", "example.com", "X-Canary: YES-please\r\n")) ==
        "canary");
  CHECK(target_of(must_ask(client, "GET", "/", "api.example.com", "X-Canary: 0\r\n")) == "api");
  // method AND path: exact, case-sensitive method.
  HttpResponse denied = must_ask(client, "DELETE", "/items/7", "example.com");
  CHECK(denied.status == 403);
  CHECK(denied.body == "no deletes");
  CHECK(target_of(must_ask(client, "GET", "/items/7", "example.com")) == "app");
  CHECK(target_of(must_ask(client, "delete", "/items/7", "example.com")) == "app");
  // source_ip: the client is 127.0.0.1, not in 10.0.0.0/8 nor 127.0.0.2/32.
  HttpResponse local = must_ask(client, "GET", "/local", "example.com");
  CHECK(local.status == 200);
  CHECK(local.body == R"({"from":"loopback"})");
  CHECK(local.header("Content-Type") == "application/json");
  CHECK(local.header("X-Target") == std::nullopt);
  // A source_ip rule sees the TCP peer, never X-Forwarded-For.
  CHECK(target_of(must_ask(client, "GET", "/", "example.com", "X-Forwarded-For: 10.1.1.1\r\n")) ==
        "app");

  // Every one of those exchanges used one connection: rule responses keep it alive.
  CHECK(targets.requests_served(0) + targets.requests_served(1) + targets.requests_served(2) == 15);
  MetricsText metrics = AdminClient(albatross.admin_port()).metrics();
  CHECK(metrics.value("albatross_downstream_connections_total", {{"listener", "web"}}) == 1);
  CHECK(metrics.value("albatross_listener_rule_matches_total",
                      {{"listener", "web"}, {"priority", "10"}}) == 4);
  CHECK(metrics.value("albatross_listener_rule_matches_total",
                      {{"listener", "web"}, {"priority", "5"}}) == 2);
  CHECK(metrics.value("albatross_listener_rule_matches_total",
                      {{"listener", "web"}, {"priority", "default"}}) == 7);
  CHECK(metrics.value("albatross_listener_rule_matches_total",
                      {{"listener", "web"}, {"priority", "40"}}) == 0);
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "web"}, {"code", "403"}}) == 1);
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "web"}, {"code", "200"}}) == 1);
  CHECK(metrics.value("albatross_requests_total", {{"listener", "web"}, {"target_group", "api"}}) ==
        6);

  // Fixed response: served with its length; HEAD gets the head; a pending body closes.
  HttpResponse maintenance = must_ask(client, "GET", "/maintenance", "example.com");
  CHECK(maintenance.status == 503);
  CHECK(maintenance.body == "<h1>maintenance</h1>");
  CHECK(maintenance.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(maintenance.header("Content-Length") == "20");
  CHECK_FALSE(maintenance.connection_close());
  HttpResponse head = must_ask(client, "HEAD", "/maintenance", "example.com");
  CHECK(head.status == 503);
  CHECK(head.header("Content-Length") == "20");
  CHECK(head.body.empty());
  HttpResponse with_body =
      must_ask(client, "POST", "/maintenance", "example.com", "Content-Length: 5\r\n");
  CHECK(with_body.status == 503);
  CHECK(with_body.connection_close());  // the unread body cannot be framed
  CHECK(client.wait_closed(after(seconds(5))));
  client.close();

  // Redirects: placeholders, the listener's port kept, ALB's default components.
  HttpResponse moved = must_ask(client, "GET", "/old/a/b?x=1", str_cat("shop.example.com:", web));
  CHECK(moved.status == 302);
  CHECK(moved.header("Location") ==
        str_cat("http://www.shop.example.com:", web, "/new/old/a/b?from=old&x=1"));
  CHECK(moved.header("Content-Length") == "0");
  CHECK_FALSE(moved.connection_close());
  HttpResponse legacy = must_ask(client, "GET", "/p/q?r=s", "legacy.example.com");
  CHECK(legacy.status == 301);
  CHECK(legacy.header("Location") == "https://new.example.com/p/q?r=s");
  metrics = AdminClient(albatross.admin_port()).metrics();
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "web"}, {"code", "302"}}) == 1);
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "web"}, {"code", "301"}}) == 1);
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "web"}, {"code", "503"}}) == 3);

  // The access log names the rule and the action.
  std::string line = log_line_for(log.path(), "/old/a/b?x=1");
  CHECK_MESSAGE(line.find("\"matched_rule_priority\":60,") != std::string::npos, line);
  CHECK_MESSAGE(line.find("\"actions_executed\":\"redirect\"") != std::string::npos, line);
  CHECK_MESSAGE(line.find(str_cat("\"redirect_url\":\"http://www.shop.example.com:", web,
                                  "/new/old/a/b?from=old&x=1\"")) != std::string::npos,
                line);
  CHECK_MESSAGE(line.find("\"status\":302,") != std::string::npos, line);
  CHECK_MESSAGE(line.find("\"target_group\":\"\"") != std::string::npos, line);
  line = log_line_for(log.path(), "/v2/users");
  CHECK_MESSAGE(line.find("\"matched_rule_priority\":20,") != std::string::npos, line);
  CHECK_MESSAGE(line.find("\"actions_executed\":\"forward\"") != std::string::npos, line);
  CHECK_MESSAGE(line.find("\"target_group\":\"api\"") != std::string::npos, line);
  line = log_line_for(log.path(), "DELETE http://");
  CHECK_MESSAGE(line.find("\"matched_rule_priority\":30,") != std::string::npos, line);
  CHECK_MESSAGE(line.find("\"actions_executed\":\"fixed-response\"") != std::string::npos, line);
  line = log_line_for(log.path(), "/API/users");
  CHECK_MESSAGE(line.find("\"matched_rule_priority\":0,") != std::string::npos, line);
}

TEST_CASE("redirect_to_https answers what no rule matched with a 301 to HTTPS") {
  Targets targets({"app"});
  std::string text = ConfigText().target_group("app", {targets.port(0)}).str() + R"(
[[listener]]
name = "plain"
bind = "127.0.0.1:0"
redirect_to_https = true

[[listener.rule]]
priority = 1
path = "/.well-known/acme-challenge/*"
target_group = "app"

[[listener]]
name = "custom"
bind = "127.0.0.1:0"
redirect_to_https = true
https_port = 8443
)";
  AlbatrossProcess albatross(text);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient plain(albatross.port("plain"));
  HttpResponse moved =
      must_ask(plain, "GET", "/a/b?c=d", str_cat("Example.com:", albatross.port("plain")));
  CHECK(moved.status == 301);
  CHECK(moved.header("Location") == "https://Example.com/a/b?c=d");
  CHECK(must_ask(plain, "HEAD", "/", "example.com").header("Location") == "https://example.com/");
  CHECK(must_ask(plain, "POST", "/form", "[::1]:80").header("Location") == "https://[::1]/form");
  HttpResponse challenge = must_ask(plain, "GET", "/.well-known/acme-challenge/t0k3n", "x.org");
  CHECK(challenge.status == 200);
  CHECK(target_of(challenge) == "app");
  HttpClient custom(albatross.port("custom"));
  CHECK(must_ask(custom, "GET", "/x", "example.com").header("Location") ==
        "https://example.com:8443/x");
  // A Host that cannot be a URL's host is refused, not echoed.
  CHECK(must_ask(custom, "GET", "/x", "evil.example/path").status == 400);
  // HTTP/1.0 without Host: nothing to redirect to.
  custom.close();
  custom.connect();
  REQUIRE(custom.send("GET /x HTTP/1.0\r\n\r\n", after(seconds(5))));
  std::optional<HttpResponse> no_host = custom.read_response(after(seconds(10)));
  REQUIRE(no_host);
  CHECK(no_host->status == 400);
  CHECK(targets.requests_served(0) == 1);
}

TEST_CASE("a SIGHUP reload changes the rules; a refused one keeps them") {
  Targets targets({"app", "api"});
  auto config = [&](std::string_view rules) {
    return ConfigText()
        .listener("web", "app", rules)
        .target_group("app", {targets.port(0)})
        .target_group("api", {targets.port(1)})
        .str();
  };
  AlbatrossProcess albatross(
      config("[[listener.rule]]\npriority = 1\npath = \"/x\"\ntarget_group = \"api\"\n"));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  CHECK(target_of(must_ask(client, "GET", "/x", "h")) == "api");
  CHECK(target_of(must_ask(client, "GET", "/y", "h")) == "app");

  albatross.rewrite_config(config(R"([[listener.rule]]
priority = 1
path = "/x"
fixed_response = { status = 200, body = "reloaded" }
[[listener.rule]]
priority = 2
path = "/y"
target_group = "api"
)"));
  REQUIRE(albatross.reload());
  // The open connection takes the new rules at its next exchange.
  HttpResponse x = must_ask(client, "GET", "/x", "h");
  CHECK(x.status == 200);
  CHECK(x.body == "reloaded");
  CHECK(target_of(must_ask(client, "GET", "/y", "h")) == "api");

  albatross.rewrite_config(config(R"([[listener.rule]]
priority = 2
path = "/x"
target_group = "app"
[[listener.rule]]
priority = 2
path = "/y"
target_group = "app"
)"));
  CHECK_FALSE(albatross.reload());
  CHECK(albatross.stderr_text().find("listener[0].rule[1].priority: duplicate priority 2") !=
        std::string::npos);
  CHECK(must_ask(client, "GET", "/x", "h").body == "reloaded");
  CHECK(target_of(must_ask(client, "GET", "/y", "h")) == "api");
}

TEST_CASE("--check refuses duplicate priorities, loops and unknown groups with key paths") {
  std::string file;
  CommandResult result = run_check(ConfigText()
                                       .listener("web", "app", R"(
[[listener.rule]]
priority = 7
path = "/a"
target_group = "app"

[[listener.rule]]
priority = 7
path = "/b"
target_group = "nowhere"

[[listener.rule]]
priority = 8
path = "/c"
redirect = {}

[[listener.rule]]
priority = 9
host = "a.example.com"
redirect = { query = "x=1" }

[[listener.rule]]
priority = 10
path = "/e"
redirect = { protocol = "https" }
)")
                                       .target_group("app", {8080})
                                       .str(),
                                   &file);
  INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
  CHECK(result.exit_code == 1);
  for (std::string_view expected : {
           ": listener[0].rule[1].priority: duplicate priority 7 (first used at "
           "listener[0].rule[0])\n",
           ": listener[0].rule[1].target_group: unknown target group \"nowhere\"\n",
           ": listener[0].rule[2].redirect: redirects every request to itself",
           ": listener[0].rule[3].redirect: redirects to the same listener with the same host "
           "and path",
       }) {
    CHECK_MESSAGE(result.out.find(expected) != std::string::npos, expected);
  }
  CHECK(result.out.find("rule[4]") == std::string::npos);  // a protocol change is no loop
  CHECK(result.out.find(file + ":") == 0);
  CHECK(result.out.find(": 4 error(s)\n") != std::string::npos);
}

}  // namespace
}  // namespace albatross::testing
