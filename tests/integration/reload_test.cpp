// SIGHUP reload: a new snapshot takes over for new exchanges on the same listener sockets (port-0
// listeners keep their port), and a configuration with errors leaves the running one in place.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

void rewrite(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

TEST_CASE("SIGHUP switches a listener to a new target group; a bad config is refused") {
  Targets targets({"old", "new"});
  const std::string before = ConfigText()
                                 .listener("web", "app")
                                 .listener("other", "app")
                                 .target_group("app", {targets.port(0)})
                                 .str();
  AlbatrossProcess albatross(before);
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t web = albatross.port("web");
  const std::uint16_t other = albatross.port("other");
  HttpClient keep_alive(web);
  CHECK(keep_alive.get("/").header("X-Target") == "old");

  rewrite(albatross.config_path(), ConfigText()
                                       .listener("web", "app")
                                       .listener("other", "app")
                                       .target_group("app", {targets.port(1)})
                                       .str());
  albatross.send_signal(SIGHUP);
  REQUIRE(albatross.wait_for_log("configuration reloaded", after(seconds(5))));
  // Both port-0 listeners kept their own ports.
  HttpClient fresh(web);
  CHECK(fresh.get("/").header("X-Target") == "new");
  HttpClient fresh_other(other);
  CHECK(fresh_other.get("/").header("X-Target") == "new");
  // A connection opened before the reload takes the new snapshot at its next exchange.
  CHECK(keep_alive.get("/").header("X-Target") == "new");

  rewrite(albatross.config_path(), ConfigText()
                                       .listener("web", "app")
                                       .listener("other", "missing")
                                       .target_group("app", {targets.port(0)})
                                       .str());
  albatross.send_signal(SIGHUP);
  REQUIRE(albatross.wait_for_log("reload failed", after(seconds(5))));
  CHECK(albatross.stderr_text().find("listener[1].target_group: unknown target group "
                                     "\"missing\"") != std::string::npos);
  CHECK(fresh.get("/").header("X-Target") == "new");
  CHECK(fresh_other.get("/").header("X-Target") == "new");
  CHECK(albatross.running());
}

}  // namespace
}  // namespace albatross::testing
