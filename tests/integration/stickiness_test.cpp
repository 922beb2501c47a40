// lb_cookie stickiness end to end: one cookie keeps a user on one target for a thousand requests,
// across connections and worker threads; the cookie and its CORS twin carry ALB's attributes and
// never reach the target; forged, foreign and expired cookies are routed normally and replaced,
// each counted by reason; a user whose target dies is re-bound without errors; a second
// albatross sharing the key file honours the first one's cookies, and bad key files are
// refused; concurrent users of a stateful app stay on their target while new users spread; and
// stickiness overrides least outstanding requests.
#include <doctest/doctest.h>
#include <strings.h>
#include <sys/stat.h>

#include <atomic>
#include <ctime>
#include <latch>
#include <map>
#include <set>
#include <thread>

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
constexpr std::string_view kChecks =
    "interval = \"1s\"\ntimeout = \"500ms\"\nhealthy_threshold = 2\nunhealthy_threshold = 2";
// Two keys made for these tests (base64 of 32 bytes each).
constexpr std::string_view kKeyOne = "dQIQywUPCTPaIoIWNPpfIUEIXg6Oadz6gGuh24TSvIg=";
constexpr std::string_view kKeyTwo = "D7WYVqlNJKVstygw6lBT6fAvb6Pv2xBgTQxDzf4uL4I=";

struct SetCookie {
  std::string name;
  std::string value;
  std::vector<std::string> attributes;  // as sent, after the first "; "

  bool has(std::string_view attribute) const {
    return std::find(attributes.begin(), attributes.end(), attribute) != attributes.end();
  }
  std::optional<std::string> attribute(std::string_view prefix) const {
    for (const std::string& a : attributes) {
      if (a.starts_with(prefix)) return a.substr(prefix.size());
    }
    return std::nullopt;
  }
};

std::vector<SetCookie> set_cookies(const HttpResponse& response) {
  std::vector<SetCookie> out;
  for (const auto& [name, value] : response.headers) {
    if (name.size() != 10 || strcasecmp(name.c_str(), "Set-Cookie") != 0) continue;
    SetCookie c;
    std::string_view rest = value;
    std::string_view pair = rest.substr(0, rest.find(';'));
    c.name = std::string(pair.substr(0, pair.find('=')));
    c.value = std::string(pair.substr(pair.find('=') + 1));
    while (rest.find("; ") != std::string_view::npos) {
      rest.remove_prefix(rest.find("; ") + 2);
      c.attributes.emplace_back(rest.substr(0, rest.find(';')));
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The AWSALB value a response sets, "" when it sets none.
// An RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT") as system time; nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

double non_sticky(AdminClient& admin, std::string_view group, std::string_view reason) {
  return admin.metrics().value(
      "albatross_non_sticky_requests_total",
      {{"target_group", std::string(group)}, {"reason", std::string(reason)}});
}

TEST_CASE("one cookie keeps a user on one target for 1,000 requests; the cookie never reaches it") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports(), kSticky)
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::uint16_t port = albatross.port("web");

  HttpClient first(port);
  HttpResponse bound = first.get("/");
  REQUIRE(bound.status == 200);
  const std::string target = target_of(bound);
  const auto now = std::chrono::system_clock::now();

  // ALB's pair: AWSALB; Expires; Path=/ and AWSALBCORS with the same value plus SameSite=None;
  // Secure. No Max-Age, Domain or HttpOnly.
  std::vector<SetCookie> cookies = set_cookies(bound);
  REQUIRE(cookies.size() == 2);
  CHECK(cookies[0].name == "AWSALB");
  CHECK(cookies[1].name == "AWSALBCORS");
  CHECK(cookies[0].value == cookies[1].value);
  const std::string value = cookies[0].value;
  CHECK(value.size() == 76);
  CHECK(
      value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
      std::string::npos);
  for (const SetCookie& c : cookies) {
    CAPTURE(c.name);
    REQUIRE(c.attribute("Expires="));
    auto expires = parse_http_date(*c.attribute("Expires="));
    REQUIRE(expires);
    // The binding lasts `duration` (86400s by default) from now.
    CHECK(*expires > now + std::chrono::hours(24) - seconds(60));
    CHECK(*expires < now + std::chrono::hours(24) + seconds(60));
    CHECK(c.has("Path=/"));
    CHECK(!c.attribute("Max-Age"));
    CHECK(!c.attribute("Domain"));
    CHECK(!c.has("HttpOnly"));
  }
  CHECK(!cookies[0].has("Secure"));
  CHECK(!cookies[0].attribute("SameSite"));
  CHECK(cookies[1].has("SameSite=None"));
  CHECK(cookies[1].has("Secure"));

  // 1,000 requests: four keep-alive connections, and a new connection every tenth request so
  // both worker threads see the cookie.
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<HttpClient>(port));
  std::map<std::string, int> by_target;
  int refreshed = 0;
  for (int i = 0; i < 1000; ++i) {
    HttpResponse r;
    if (i % 10 == 0) {
      HttpClient fresh(port);
      r = fresh.request("GET", "/", cookie_header(value));
    } else {
      r = clients[static_cast<std::size_t>(i) % 4]->request("GET", "/", cookie_header(value));
    }
    REQUIRE(r.status == 200);
    ++by_target[target_of(r)];
    if (!set_cookies(r).empty()) ++refreshed;
  }
  CHECK(by_target.size() == 1);
  CHECK(by_target[target] == 1000);
  // A binding is re-issued only when a tenth of its duration has passed.
  CHECK(refreshed == 0);
  CHECK(non_sticky(admin, "app", "none") == 1);
  CHECK(non_sticky(admin, "app", "invalid") == 0);

  // Either cookie alone is enough (a browser may send only the CORS one)...
  HttpResponse by_cors = first.request("GET", "/", "Cookie: AWSALBCORS=" + value + "\r\n");
  CHECK(target_of(by_cors) == target);
  // ...and neither reaches the target; the application's own cookies do.
  HttpResponse seen = first.request(
      "GET", "/headers",
      "Cookie: theme=dark; AWSALB=" + value + "; lang=en; AWSALBCORS=" + value + "\r\n");
  CHECK(target_of(seen) == target);
  CHECK(seen.body.find("Cookie: theme=dark; lang=en\n") != std::string::npos);
  CHECK(seen.body.find("AWSALB") == std::string::npos);
  HttpResponse only_ours = first.request("GET", "/headers", cookie_header(value));
  CHECK(only_ours.body.find("Cookie") == std::string::npos);
  CHECK(only_ours.body.find(value) == std::string::npos);
}

TEST_CASE("forged, tampered and foreign cookies are routed normally and replaced") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .listener("other", "other")
                                 .target_group("app", targets.ports(), kSticky)
                                 .target_group("other", targets.ports(), kSticky)
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  HttpClient client(albatross.port("web"));
  const std::string genuine = sticky_value(client.get("/"));
  REQUIRE(genuine.size() == 76);
  std::string tampered = genuine;
  tampered[40] = tampered[40] == 'A' ? 'B' : 'A';

  std::map<std::string, int> by_target;
  std::set<std::string> issued;
  const std::vector<std::string> forged = {
      "AAAA", "x", tampered, std::string(76, 'A'), genuine + "A", std::string(5000, 'z')};
  for (int round = 0; round < 2; ++round) {
    for (const std::string& value : forged) {
      HttpResponse r = client.request("GET", "/", cookie_header(value));
      CHECK(r.status == 200);
      ++by_target[target_of(r)];
      std::string fresh = sticky_value(r);
      CHECK(fresh.size() == 76);
      CHECK(fresh != value);
      issued.insert(fresh);
    }
  }
  // Normal routing: round robin spreads them (12 requests over 3 targets).
  CHECK(by_target["a"] == 4);
  CHECK(by_target["b"] == 4);
  CHECK(by_target["c"] == 4);
  CHECK(non_sticky(admin, "app", "invalid") == 12);
  // Each fresh cookie is a working binding.
  for (const std::string& value : issued) {
    HttpResponse r = client.request("GET", "/", cookie_header(value));
    CHECK(sticky_value(r).empty());
  }
  CHECK(non_sticky(admin, "app", "invalid") == 12);

  // AWSALB is one name for every group, as in ALB: a binding to another group is not followed.
  HttpClient other(albatross.port("other"));
  HttpResponse foreign = other.request("GET", "/", cookie_header(genuine));
  CHECK(foreign.status == 200);
  CHECK(sticky_value(foreign).size() == 76);
  CHECK(sticky_value(foreign) != genuine);
  CHECK(non_sticky(admin, "other", "target_unavailable") == 1);
  CHECK(non_sticky(admin, "other", "invalid") == 0);
}

TEST_CASE("an expired binding (duration 1s) is counted as expired and replaced") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app")
          .target_group("app", targets.ports(),
                        "[target_group.stickiness]\nenabled = true\nduration = \"1s\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  HttpClient client(albatross.port("web"));
  HttpResponse bound = client.get("/");
  const std::string old_value = sticky_value(bound);
  REQUIRE(old_value.size() == 76);
  // Expires follows the duration.
  auto expires = parse_http_date(*set_cookies(bound)[0].attribute("Expires="));
  REQUIRE(expires);
  CHECK(*expires <= std::chrono::system_clock::now() + seconds(2));

  // The binding expires within its second; until then it is followed. Sending the old cookie
  // until the counter says "expired" is the wait (the duration is what is under test).
  HttpResponse replaced;
  const bool expired = wait_until(
      [&] {
        replaced = client.request("GET", "/", cookie_header(old_value));
        REQUIRE(replaced.status == 200);
        if (non_sticky(admin, "app", "expired") == 1) return true;
        CHECK(target_of(replaced) == target_of(bound));
        return false;
      },
      after(seconds(5)), milliseconds(50));
  REQUIRE(expired);
  const std::string fresh = sticky_value(replaced);
  CHECK(fresh.size() == 76);
  CHECK(fresh != old_value);
  // The replacement is a binding of its own.
  HttpResponse followed = client.request("GET", "/", cookie_header(fresh));
  CHECK(target_of(followed) == target_of(replaced));
  CHECK(non_sticky(admin, "app", "expired") == 1);
  CHECK(non_sticky(admin, "app", "none") == 1);
}

TEST_CASE("a user whose target dies is re-bound with a new cookie, and sees no error") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports(), kSticky, kChecks)
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  for (std::uint16_t p : targets.ports())
    REQUIRE(albatross.wait_for_log("target app/" + loopback(p) + " initial -> healthy",
                                   after(seconds(5))));
  HttpClient client(albatross.port("web"));
  HttpResponse bound = client.get("/");
  const std::string dead = target_of(bound);
  const std::string old_value = sticky_value(bound);
  std::size_t dead_index = 0;
  while (targets.name(dead_index) != dead)
    ++dead_index;
  for (int i = 0; i < 10; ++i)
    REQUIRE(target_of(client.request("GET", "/", cookie_header(old_value))) == dead);

  targets.stop(dead_index);
  // Until the checker marks it unhealthy, the connect failure is retried on another target.
  int before_marked = 0;
  int failed_before_marked = 0;
  const std::string marked =
      "target app/" + loopback(targets.port(dead_index)) + " healthy -> unhealthy";
  TimePoint deadline = after(seconds(10));
  while (!albatross.wait_for_log(marked, after(milliseconds(20)))) {
    REQUIRE(Clock::now() < deadline);
    HttpResponse r = client.request("GET", "/", cookie_header(old_value));
    ++before_marked;
    if (r.status != 200 || target_of(r) == dead) ++failed_before_marked;
  }
  CAPTURE(before_marked);
  CHECK(failed_before_marked == 0);

  // Marked: the old cookie is re-bound on every request, never with a 5xx.
  const double unavailable = non_sticky(admin, "app", "target_unavailable");
  std::string new_value;
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = client.request("GET", "/", cookie_header(old_value));
    CHECK(r.status == 200);
    CHECK(target_of(r) != dead);
    std::string fresh = sticky_value(r);
    CHECK(fresh.size() == 76);
    if (new_value.empty()) new_value = fresh;
  }
  CHECK(non_sticky(admin, "app", "target_unavailable") == unavailable + 30);
  // The new cookie holds: one surviving target, no more re-binding.
  HttpResponse first_new = client.request("GET", "/", cookie_header(new_value));
  const std::string survivor = target_of(first_new);
  CHECK(survivor != dead);
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = client.request("GET", "/", cookie_header(new_value));
    CHECK(r.status == 200);
    CHECK(target_of(r) == survivor);
    CHECK(sticky_value(r).empty());
  }
}

TEST_CASE("a second albatross with the same sticky_key_file honours the first one's cookies") {
  Targets targets({"a", "b", "c"});
  TempFile key(std::string(kKeyOne) + "\n", ".key");
  REQUIRE(::chmod(key.path().c_str(), 0600) == 0);
  auto config = [&](const std::string& key_file) {
    return ConfigText()
        .admin("127.0.0.1:0")
        .global("sticky_key_file = \"" + key_file + "\"")
        .listener("web", "app")
        .target_group("app", targets.ports(), kSticky)
        .str();
  };
  AlbatrossProcess one(config(key.path()));
  one.start();
  AlbatrossProcess two(config(key.path()));
  two.start();
  INFO("first albatross:\n" << one.stderr_text() << "\nsecond albatross:\n" << two.stderr_text());
  AdminClient two_admin(two);

  // Bind users on the first; each keeps its target on the second.
  HttpClient on_one(one.port("web"));
  HttpClient on_two(two.port("web"));
  std::set<std::string> bound_targets;
  for (int user = 0; user < 3; ++user) {
    HttpResponse bound = on_one.get("/");
    const std::string value = sticky_value(bound);
    REQUIRE(value.size() == 76);
    bound_targets.insert(target_of(bound));
    for (int i = 0; i < 10; ++i) {
      HttpResponse r = on_two.request("GET", "/", cookie_header(value));
      CHECK(target_of(r) == target_of(bound));
      CHECK(sticky_value(r).empty());
    }
  }
  CHECK(bound_targets.size() == 3);
  CHECK(non_sticky(two_admin, "app", "invalid") == 0);
  CHECK(non_sticky(two_admin, "app", "none") == 0);

  // A process with another key cannot open them.
  TempFile other_key(std::string(kKeyTwo) + "\n", ".key");
  REQUIRE(::chmod(other_key.path().c_str(), 0600) == 0);
  AlbatrossProcess three(config(other_key.path()));
  three.start();
  HttpClient on_three(three.port("web"));
  HttpResponse foreign = on_three.request("GET", "/", cookie_header(sticky_value(on_one.get("/"))));
  CHECK(foreign.status == 200);
  CHECK(sticky_value(foreign).size() == 76);
  AdminClient three_admin(three);
  CHECK(non_sticky(three_admin, "app", "invalid") == 1);

  // Rotation: a file listing a new key first and the shared one second seals with the new key
  // and still opens the old cookies.
  TempFile rotated(std::string(kKeyTwo) + "\n" + std::string(kKeyOne) + "\n", ".key");
  REQUIRE(::chmod(rotated.path().c_str(), 0600) == 0);
  two.rewrite_config(config(rotated.path()));
  REQUIRE(two.reload());
  HttpResponse old_cookie =
      on_two.request("GET", "/", cookie_header(sticky_value(on_one.get("/"))));
  CHECK(sticky_value(old_cookie).empty());
  CHECK(non_sticky(two_admin, "app", "invalid") == 0);
}

TEST_CASE(
    "a sticky key file readable by others, or malformed, is refused at start, by --check "
    "and by a reload") {
  Targets targets({"a"});
  auto config = [&](const std::string& key_file) {
    return ConfigText()
        .global("sticky_key_file = \"" + key_file + "\"")
        .listener("web", "app")
        .target_group("app", targets.ports(), kSticky)
        .str();
  };
  struct Case {
    std::string name;
    std::string content;
    mode_t mode;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"group-readable", std::string(kKeyOne) + "\n", 0640, "accessible by group or others"},
      {"world-readable", std::string(kKeyOne) + "\n", 0604, "accessible by group or others"},
      {"not base64", "this is not a key!\n", 0600, "not valid base64"},
      {"too short", "LXEWQrcmsEQBYnyp+6wy9Q==\n", 0600, "16 bytes once decoded"},
      {"empty", "\n", 0600, "holds no key"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    TempFile key(c.content, ".key");
    REQUIRE(::chmod(key.path().c_str(), c.mode) == 0);
    std::string text = config(key.path());

    CommandResult check = run_check(text);
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("global.sticky_key_file") != std::string::npos);
    CHECK(check.out.find(c.expected) != std::string::npos);

    AlbatrossProcess refused(text);
    std::string why;
    try {
      refused.start();
    } catch (const std::exception& e) {
      why = e.what();
    }
    CHECK(why.find("exited during startup") != std::string::npos);
    CHECK(why.find(c.expected) != std::string::npos);
    CHECK(refused.wait_exit(after(seconds(5))) == 1);
  }

  // A running albatross keeps its keys when a reload brings a bad file.
  TempFile good(std::string(kKeyOne) + "\n", ".key");
  REQUIRE(::chmod(good.path().c_str(), 0600) == 0);
  AlbatrossProcess albatross(config(good.path()));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  const std::string value = sticky_value(client.get("/"));
  REQUIRE(::chmod(good.path().c_str(), 0644) == 0);
  albatross.rewrite_config(config(good.path()) + "\n");  // a changed file, the same key file
  CHECK(!albatross.reload());
  CHECK(albatross.stderr_text().find("accessible by group or others") != std::string::npos);
  HttpResponse still = client.request("GET", "/", cookie_header(value));
  CHECK(still.status == 200);
  CHECK(sticky_value(still).empty());
}

TEST_CASE(
    "50 concurrent users upload then verify: each stays on its target, new users spread "
    "evenly") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports(), kSticky)
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::uint16_t port = albatross.port("web");

  constexpr int kUsers = 50;
  constexpr int kRounds = 6;
  struct User {
    std::string target;
    std::set<std::string> seen;
    int not_found = 0;
    int failures = 0;
    std::string error;
  };
  std::vector<User> users(kUsers);
  std::latch start(kUsers);
  std::vector<std::thread> threads;
  for (int u = 0; u < kUsers; ++u) {
    threads.emplace_back([&, u] {
      User& user = users[static_cast<std::size_t>(u)];
      try {
        start.arrive_and_wait();
        HttpClient client(port);
        std::string cookie;
        for (int round = 0; round < kRounds; ++round) {
          // Every other round on a new connection, which may land on the other worker.
          if (round % 2 == 1) client.close();
          const std::string key = "user-" + std::to_string(u) + "-" + std::to_string(round);
          const std::string body(1000 + 100 * u + round, static_cast<char>('a' + round));
          HttpResponse stored = client.request("POST", "/files/" + key, cookie, body);
          if (stored.status != 201) ++user.failures;
          user.seen.insert(target_of(stored));
          if (cookie.empty()) {
            user.target = target_of(stored);
            cookie = cookie_header(sticky_value(stored));
          } else if (!sticky_value(stored).empty()) {
            ++user.failures;  // re-bound
          }
          HttpResponse read = client.request("GET", "/files/" + key, cookie);
          user.seen.insert(target_of(read));
          if (read.status == 404) ++user.not_found;
          if (read.status != 200 && read.status != 404) ++user.failures;
          if (read.status == 200 && read.body != stored.body) ++user.failures;
        }
      } catch (const std::exception& e) {
        user.error = e.what();
        ++user.failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();

  std::map<std::string, int> new_users;
  for (int u = 0; u < kUsers; ++u) {
    const User& user = users[static_cast<std::size_t>(u)];
    CAPTURE(u);
    CAPTURE(user.error);
    CHECK(user.failures == 0);
    CHECK(user.not_found == 0);
    CHECK(user.seen.size() == 1);
    ++new_users[user.target];
  }
  // Round robin over the new users only: 17, 17 and 16.
  for (const std::string name : {"a", "b", "c"}) {
    CAPTURE(name);
    CHECK(new_users[name] >= kUsers / 3);
    CHECK(new_users[name] <= kUsers / 3 + 1);
  }
  CHECK(non_sticky(admin, "app", "none") == kUsers);
  CHECK(non_sticky(admin, "app", "invalid") == 0);
  CHECK(non_sticky(admin, "app", "target_unavailable") == 0);
}

TEST_CASE("least outstanding requests: new users avoid a busy target, its sticky users stay") {
  Targets targets({"fast", "slow"});
  AlbatrossProcess albatross(
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("web", "app")
          .target_group("app", targets.ports(),
                        "algorithm = \"least_outstanding_requests\"\n" + std::string(kSticky))
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::uint16_t port = albatross.port("web");

  // A user bound to "slow": with nothing in flight the two tie, and ties take turns.
  std::string slow_cookie;
  for (int i = 0; i < 2 && slow_cookie.empty(); ++i) {
    HttpClient user(port);
    HttpResponse r = user.get("/");
    if (target_of(r) == "slow") slow_cookie = sticky_value(r);
  }
  REQUIRE(slow_cookie.size() == 76);

  // That user's two long requests keep two exchanges outstanding on "slow": more than "fast"
  // ever has, even in the moment after a response is written and before its exchange ends.
  HttpClient holder(port);
  HttpClient second_holder(port);
  for (HttpClient* h : {&holder, &second_holder}) {
    h->connect();
    REQUIRE(
        h->send("GET /?delay=2000 HTTP/1.1\r\nHost: x\r\n" + cookie_header(slow_cookie) + "\r\n",
                after(seconds(5))));
  }
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        const json::object* t = AdminClient::find_target(s, "app", loopback(targets.port(1)));
        return t && t->at("in_flight").as_int64() == 2;
      },
      after(seconds(5))));

  // New users all go to the idle target...
  for (int i = 0; i < 10; ++i) {
    HttpClient user(port);
    CHECK(target_of(user.get("/")) == "fast");
  }
  // ...while the bound user's other requests still go to the busy one.
  HttpClient bound(port);
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = bound.request("GET", "/", cookie_header(slow_cookie));
    CHECK(target_of(r) == "slow");
    CHECK(sticky_value(r).empty());
  }
  for (HttpClient* h : {&holder, &second_holder}) {
    auto held = h->read_response(after(seconds(10)));
    REQUIRE(held);
    CHECK(held->status == 200);
    CHECK(target_of(*held) == "slow");
  }
}

}  // namespace
}  // namespace albatross::testing
