// Registering and deregistering targets through the admin endpoint (ALB's register-targets and
// deregister-targets): a registered target is health-checked, then used, and survives a reload
// and a restart through global.state_file; a deregistered one drains, then goes; a corrupt state
// file is refused with its name while the configuration's targets are served.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/command_result.hpp"
#include "support/http_client.hpp"
#include "support/sticky_session.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;
namespace json = boost::json;

struct StateDir {
  std::filesystem::path path;
  StateDir() {
    char pattern[] = "/tmp/albatross-state-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~StateDir() { std::filesystem::remove_all(path); }
  std::string file() const { return (path / "state.toml").string(); }
  std::string read() const {
    std::ifstream in(file());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
};

std::string config_for(std::uint16_t declared_port, const std::string& state_file) {
  return "[global]\nthreads = 2\nadmin = \"127.0.0.1:0\"\nstate_file = \"" + state_file +
         "\"\n"
         "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
         "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:" +
         std::to_string(declared_port) +
         "\"]\nderegistration_delay = \"1s\"\n"
         "[target_group.health_check]\ninterval = \"1s\"\ntimeout = \"500ms\"\n"
         "healthy_threshold = 2\nunhealthy_threshold = 2\n";
}

bool listed_as_registered(const json::object& status, const std::string& target) {
  for (const json::value& v : status.at("registered_targets").as_array()) {
    const json::object& o = v.as_object();
    if (o.at("target_group").as_string() == "app" && o.at("target").as_string() == target)
      return true;
  }
  return false;
}

void stop(AlbatrossProcess& albatross) {
  albatross.send_signal(SIGTERM);
  REQUIRE(albatross.wait_exit(after(seconds(10))) == 0);
}

TEST_CASE("register: checked, then used; kept across reload and restart; deregister drains") {
  Targets targets({"a", "b"});
  StateDir dir;
  const std::string b = loopback(targets.port(1));
  const std::string config = config_for(targets.port(0), dir.file());
  {
    AlbatrossProcess albatross(config);
    albatross.start();
    INFO("albatross log:\n" << albatross.stderr_text());
    AdminClient admin(albatross);
    REQUIRE(
        admin.wait_target_state("app", loopback(targets.port(0)), "healthy", after(seconds(10))));

    targets[1].set_ping_status(503);  // not ready yet
    HttpResponse r = admin.post("/targets/register?group=app&target=" + b);
    CHECK(r.status == 200);
    CHECK(r.body.find("registered app/" + b) != std::string::npos);
    CHECK(dir.read().find("target = \"" + b + "\"") != std::string::npos);
    // Listed at once, health-checked before it gets traffic.
    json::object status = admin.status();
    CHECK(listed_as_registered(status, b));
    const json::object* shown = AdminClient::find_target(status, "app", b);
    REQUIRE(shown != nullptr);
    CHECK(shown->at("source").as_string() == "registered");
    REQUIRE(admin.wait_target_state("app", b, "unhealthy", after(seconds(10))));
    CHECK(spread(albatross.port("web"), 6)["a"] == 6);
    CHECK(targets.requests_served(1) == targets[1].ping_requests());
    targets[1].set_ping_status(200);
    REQUIRE(
        albatross.wait_for_log("target app/" + b + " unhealthy -> healthy", after(seconds(10))));
    auto both = spread(albatross.port("web"), 10);
    CHECK(both["a"] == 5);
    CHECK(both["b"] == 5);

    // Registering again changes nothing; mistakes are refused with a reason.
    CHECK(admin.post("/targets/register?group=app&target=" + b).status == 200);
    CHECK(admin.post("/targets/register?group=nope&target=" + b).status == 404);
    CHECK(admin.post("/targets/register?group=app&target=app.internal:80").status == 400);
    CHECK(admin.post("/targets/register?group=app").status == 400);
    CHECK(admin.post("/targets/deregister?group=app&target=" + loopback(targets.port(0))).status ==
          409);
    // Protected like every state change: POST only, no cross-site pages.
    CHECK(admin.get("/targets/register?group=app&target=" + b).status == 405);

    // A reload keeps the registration and the target's health.
    REQUIRE(albatross.reload());
    CHECK(admin.target_state("app", b) == "healthy");
    stop(albatross);
  }
  {
    // A restart finds it in the state file.
    AlbatrossProcess albatross(config);
    albatross.start();
    INFO("albatross log:\n" << albatross.stderr_text());
    AdminClient admin(albatross);
    CHECK(listed_as_registered(admin.status(), b));
    REQUIRE(admin.wait_target_state("app", b, "healthy", after(seconds(10))));
    CHECK(spread(albatross.port("web"), 10)["b"] == 5);

    // Deregistering drains it (no new requests), then removes it.
    HttpResponse r = admin.post("/targets/deregister?group=app&target=" + b);
    CHECK(r.status == 200);
    CHECK(dir.read().find(b) == std::string::npos);
    json::object status = admin.status();
    CHECK_FALSE(listed_as_registered(status, b));
    const json::object* draining = AdminClient::find_target(status, "app", b, /*removed=*/true);
    REQUIRE(draining != nullptr);
    CHECK(draining->at("state").as_string() == "draining");
    CHECK(spread(albatross.port("web"), 6)["a"] == 6);
    REQUIRE(albatross.wait_for_log("target app/" + b + " deregistered", after(seconds(10))));
    CHECK(admin.post("/targets/deregister?group=app&target=" + b).status == 404);
    stop(albatross);
  }
  {
    AlbatrossProcess albatross(config);
    albatross.start();
    INFO("albatross log:\n" << albatross.stderr_text());
    AdminClient admin(albatross);
    CHECK(AdminClient::find_target(admin.status(), "app", b) == nullptr);
  }
}

TEST_CASE("a corrupt state file is refused by name; the configuration's targets are served") {
  Targets targets({"a", "b"});
  StateDir dir;
  const std::string corrupt = "version = 1\n[[target]]\ntarget_group = \"app\"\ntarget = \"127.0";
  {
    std::ofstream out(dir.file());
    out << corrupt;
  }
  const std::string config = config_for(targets.port(0), dir.file());
  CommandResult check = run_check(config);
  CHECK(check.exit_code == 1);
  CHECK(check.out.find(dir.file() + ": refusing the state file") != std::string::npos);

  AlbatrossProcess albatross(config);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  CHECK(albatross.stderr_text().find(dir.file() + ": refusing the state file") !=
        std::string::npos);
  AdminClient admin(albatross);
  json::object status = admin.status();
  CHECK(status.at("state_file").at("error").as_string().find(dir.file()) != std::string::npos);
  CHECK(spread(albatross.port("web"), 4)["a"] == 4);
  // Registrations would overwrite what the operator has to look at: refused, file untouched.
  HttpResponse r = admin.post("/targets/register?group=app&target=" + loopback(targets.port(1)));
  CHECK(r.status == 503);
  CHECK(r.body.find(dir.file()) != std::string::npos);
  CHECK(dir.read() == corrupt);
}

TEST_CASE("registering without global.state_file is refused: nothing would keep it") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(
      "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n"
      "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
      "[[target_group]]\nname = \"app\"\ntargets = [\"" +
      loopback(targets.port(0)) + "\"]\n");
  albatross.start();
  AdminClient admin(albatross);
  HttpResponse r = admin.post("/targets/register?group=app&target=" + loopback(targets.port(1)));
  CHECK(r.status == 409);
  CHECK(r.body.find("global.state_file") != std::string::npos);
}

}  // namespace
}  // namespace albatross::testing
