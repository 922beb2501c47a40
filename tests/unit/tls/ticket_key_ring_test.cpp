#include "albatross/tls/ticket_key_ring.hpp"

#include <doctest/doctest.h>

#include <ctime>

#include "albatross/tls/server_context.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_memory_pair.hpp"

namespace albatross::tls {
namespace {

using testing::CertificateDir;
using testing::TlsMemoryPair;

struct Fixture {
  CertificateDir dir;
  std::shared_ptr<TicketKeyRing> ring = std::make_shared<TicketKeyRing>();
  std::shared_ptr<const ServerContext> server;
  SSL_CTX* client = SSL_CTX_new(TLS_client_method());

  explicit Fixture(int max_version) {
    auto paths = dir.write("site", testing::make_certificate({.dns_names = {"site.test"}}));
    config::TlsConfig config;
    config.default_certificate = {paths.certificate, paths.private_key};
    std::vector<ServerContext::Problem> errors;
    std::vector<std::string> warnings;
    server = ServerContext::create(config, "listener[0].tls", ring, std::time(nullptr), errors,
                                   warnings);
    REQUIRE(server);
    SSL_CTX_set_max_proto_version(client, max_version);
  }
  ~Fixture() { SSL_CTX_free(client); }

  // A full connection; returns its session for resumption (caller frees).
  SSL_SESSION* connect(SSL_SESSION* resume, bool& resumed) {
    TlsMemoryPair pair(client, server->native());
    SSL_set_tlsext_host_name(pair.client(), "site.test");
    if (resume != nullptr) SSL_set_session(pair.client(), resume);
    REQUIRE(pair.handshake());
    REQUIRE(pair.server_to_client());
    resumed = SSL_session_reused(pair.client()) == 1;
    return SSL_get1_session(pair.client());
  }
};

}  // namespace

TEST_CASE("tickets resume sessions across key rotations until their key is dropped") {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    Fixture f(version);
    bool resumed = false;
    SSL_SESSION* first = f.connect(nullptr, resumed);
    CHECK_FALSE(resumed);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(first) == 2 * 3600);

    SSL_SESSION* second = f.connect(first, resumed);
    CHECK(resumed);

    // Sealed by a key that is no longer the newest: still accepted (and renewed).
    f.ring->rotate();
    SSL_SESSION* third = f.connect(first, resumed);
    CHECK(resumed);

    // Once the key has left the ring, the ticket no longer resumes.
    for (std::size_t i = 1; i < TicketKeyRing::kKeys; ++i)
      f.ring->rotate();
    SSL_SESSION* fourth = f.connect(first, resumed);
    CHECK_FALSE(resumed);
    // The renewed ticket from after the first rotation carries a key still held.
    SSL_SESSION* fifth = f.connect(third, resumed);
    CHECK(resumed);
    for (SSL_SESSION* s : {first, second, third, fourth, fifth})
      SSL_SESSION_free(s);
  }
}

TEST_CASE("rotate_if_due rotates once per interval") {
  TicketKeyRing ring(std::chrono::seconds(10));
  auto before = ring.keys();
  auto now = std::chrono::steady_clock::now();
  CHECK_FALSE(ring.rotate_if_due(now));
  CHECK(ring.keys() == before);
  CHECK(ring.rotate_if_due(now + std::chrono::seconds(11)));
  auto after = ring.keys();
  REQUIRE(after->count == 2);
  CHECK(after->keys[1].name == before->keys[0].name);
  CHECK(after->keys[0].name != before->keys[0].name);
  CHECK_FALSE(ring.rotate_if_due(now + std::chrono::seconds(15)));
  CHECK(ring.ticket_lifetime() == std::chrono::seconds(20));
}

}  // namespace albatross::tls
