#include "albatross/server/worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/metrics/registry.hpp"
#include "albatross/server/listen_socket_set.hpp"
#include "albatross/server/snapshot_builder.hpp"
#include "albatross/upstream/state_table.hpp"

namespace albatross::server {
namespace {

constexpr std::string_view kConfig = R"(
[global]
threads = 1
admin = ""

[[listener]]
name = "web"
bind = "127.0.0.1:0"
target_group = "app"

[[target_group]]
name = "app"
targets = ["127.0.0.1:9"]
[target_group.health_check]
enabled = false
)";

// A blocking loopback connection; connect() returns once the handshake is done, so the
// connection is in the listener's accept queue before the worker looks at it.
int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

}  // namespace

// The worker's loop is driven here from the test thread, one handler at a time (run_one), before
// its own thread starts: that makes "one wake-up of the accept loop" observable.
TEST_CASE("Worker: queued connections are taken in batches, not one per wake-up") {
  config::ConfigErrors errors;
  config::Config config = config::parse(kConfig, "worker_test.toml", errors);
  config::validate(config, errors);
  REQUIRE(errors.empty());
  std::string bind_error;
  auto sockets = ListenSocketSet::bind(config.listeners[0].bind, 1, bind_error);
  REQUIRE_MESSAGE(sockets, bind_error);
  const std::string key = ListenSocketSet::key_for(config.listeners[0]);
  metrics::Registry registry(2);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  BuildOptions options;
  options.bound_ports[key] = sockets->port();
  std::shared_ptr<const Snapshot> snapshot =
      build_snapshot(std::move(config), "", states, catalog, errors, options);
  REQUIRE(snapshot);

  auto connections = std::make_shared<std::atomic<std::int64_t>>(0);
  Worker worker(0, connections);
  ListenerAssignment assignment;
  assignment.key = key;
  assignment.fd = ::dup(sockets->fd(0));
  assignment.ipv6 = sockets->ipv6();
  assignment.context = Snapshot::listener(snapshot, 0);
  worker.apply({assignment});
  worker.io().poll();  // the assignment: the accept loop starts and waits for a connection

  constexpr int kQueued = 100;
  std::vector<int> clients;
  for (int i = 0; i < kQueued; ++i)
    clients.push_back(connect_to(sockets->port()));

  // Handlers until the first that accepts; each must be quick (the connections are queued).
  int handlers = 0;
  while (connections->load() == 0 && handlers < 10) {
    REQUIRE(worker.io().run_one_for(std::chrono::seconds(5)) == 1);
    ++handlers;
  }
  // One wake-up takes a batch of 64 (HAProxy's default maxaccept), not a single connection.
  CHECK(connections->load() == 64);
  // The rest in the next wake-ups.
  for (int i = 0; i < 1000 && connections->load() < kQueued; ++i)
    REQUIRE(worker.io().run_one_for(std::chrono::seconds(5)) == 1);
  CHECK(connections->load() == kQueued);

  // From here the worker runs on its own thread; stop() closes the sessions and joins.
  worker.start();
  worker.stop();
  for (int fd : clients)
    ::close(fd);
  CHECK(connections->load() == 0);
}

}  // namespace albatross::server
