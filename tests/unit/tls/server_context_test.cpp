#include "albatross/tls/server_context.hpp"

#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "support/test_certificates.hpp"
#include "support/tls_memory_pair.hpp"

namespace albatross::tls {
namespace {

using testing::CertificateDir;
using testing::make_certificate;
using testing::TlsMemoryPair;

// Certificates of one listener: default RSA "default.test"; sni: ECDSA "api.test", RSA
// "api.test" + "rsa-only.test", RSA "*.wild.test".
struct Listener {
  CertificateDir dir;
  config::TlsConfig config;

  Listener() {
    auto add = [&](const std::string& name, testing::CertificateSpec spec) {
      auto paths = dir.write(name, make_certificate(spec));
      return config::TlsCertificateConfig{paths.certificate, paths.private_key};
    };
    config.default_certificate =
        add("default", {.common_name = "default.test", .dns_names = {"default.test"}});
    config.sni.push_back(
        add("api-ec", {.common_name = "api.test", .dns_names = {"api.test"}, .ecdsa = true}));
    config.sni.push_back(
        add("api-rsa", {.common_name = "api-rsa", .dns_names = {"api.test", "rsa-only.test"}}));
    config.sni.push_back(add("wild", {.common_name = "wild", .dns_names = {"*.wild.test"}}));
  }
};

std::shared_ptr<const ServerContext> build(const config::TlsConfig& config,
                                           std::vector<ServerContext::Problem>& errors,
                                           std::vector<std::string>& warnings) {
  return ServerContext::create(config, "listener[0].tls", std::make_shared<TicketKeyRing>(),
                               std::time(nullptr), errors, warnings);
}

std::shared_ptr<const ServerContext> build(const config::TlsConfig& config) {
  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  auto server = build(config, errors, warnings);
  for (const auto& e : errors)
    MESSAGE(e.key_path, ": ", e.message);
  REQUIRE(server);
  return server;
}

struct ClientCtx {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ~ClientCtx() { SSL_CTX_free(ctx); }
};

// The served leaf's CN and key type after a handshake with `server_name` (empty: no SNI).
struct Served {
  bool ok = false;
  std::string cn;
  bool ecdsa = false;
  std::string alpn;
};

Served handshake(const ServerContext& server, const std::string& server_name,
                 const char* sigalgs = nullptr, const unsigned char* alpn = nullptr,
                 unsigned alpn_length = 0) {
  ClientCtx client;
  if (sigalgs != nullptr) REQUIRE(SSL_CTX_set1_sigalgs_list(client.ctx, sigalgs) == 1);
  if (alpn != nullptr) SSL_CTX_set_alpn_protos(client.ctx, alpn, alpn_length);
  TlsMemoryPair pair(client.ctx, server.native());
  if (!server_name.empty()) SSL_set_tlsext_host_name(pair.client(), server_name.c_str());
  Served served;
  served.ok = pair.handshake();
  if (!served.ok) return served;
  X509* leaf = SSL_get0_peer_certificate(pair.client());
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
  served.cn = cn;
  served.ecdsa = EVP_PKEY_is_a(X509_get0_pubkey(leaf), "EC");
  const unsigned char* selected = nullptr;
  unsigned selected_length = 0;
  SSL_get0_alpn_selected(pair.client(), &selected, &selected_length);
  served.alpn.assign(reinterpret_cast<const char*>(selected), selected_length);
  return served;
}

}  // namespace

TEST_CASE("SNI picks the certificate by exact name, then wildcard, else the default") {
  Listener listener;
  auto server = build(listener.config);
  CHECK(handshake(*server, "").cn == "default.test");
  CHECK(handshake(*server, "unknown.test").cn == "default.test");
  CHECK(handshake(*server, "rsa-only.test").cn == "api-rsa");
  CHECK(handshake(*server, "x.wild.test").cn == "wild");
  CHECK(handshake(*server, "X.Wild.Test.").cn == "wild");
  // A wildcard covers one label only.
  CHECK(handshake(*server, "a.b.wild.test").cn == "default.test");
  CHECK(handshake(*server, "wild.test").cn == "default.test");
}

TEST_CASE("a name with an ECDSA and an RSA certificate serves ECDSA to clients that support it") {
  Listener listener;
  auto server = build(listener.config);
  Served both = handshake(*server, "api.test");
  CHECK(both.ok);
  CHECK(both.cn == "api.test");
  CHECK(both.ecdsa);
  Served rsa = handshake(*server, "API.TEST", "rsa_pss_rsae_sha256:RSA+SHA256");
  CHECK(rsa.ok);
  CHECK(rsa.cn == "api-rsa");
  CHECK_FALSE(rsa.ecdsa);
}

TEST_CASE("the contexts select ECDSA or RSA for the same name under TLS 1.2 as well") {
  Listener listener;
  auto server = build(listener.config);
  ClientCtx client;
  SSL_CTX_set_max_proto_version(client.ctx, TLS1_2_VERSION);
  REQUIRE(SSL_CTX_set_cipher_list(client.ctx, "ECDHE-RSA-AES128-GCM-SHA256") == 1);
  TlsMemoryPair pair(client.ctx, server->native());
  SSL_set_tlsext_host_name(pair.client(), "api.test");
  REQUIRE(pair.handshake());
  CHECK(EVP_PKEY_is_a(X509_get0_pubkey(SSL_get0_peer_certificate(pair.client())), "RSA"));
}

TEST_CASE("ALPN selects http/1.1, and a client offering only h2 goes on without ALPN") {
  Listener listener;
  auto server = build(listener.config);
  static const unsigned char both[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  static const unsigned char h2[] = {2, 'h', '2'};
  Served a = handshake(*server, "api.test", nullptr, both, sizeof both);
  CHECK(a.ok);
  CHECK(a.alpn == "http/1.1");
  Served b = handshake(*server, "api.test", nullptr, h2, sizeof h2);
  CHECK(b.ok);
  CHECK(b.alpn.empty());
}

TEST_CASE("the policy bounds the protocol versions") {
  Listener listener;
  listener.config.policy = "ELBSecurityPolicy-TLS13-1-3-2021-06";
  auto server = build(listener.config);
  ClientCtx client;
  SSL_CTX_set_max_proto_version(client.ctx, TLS1_2_VERSION);
  TlsMemoryPair pair(client.ctx, server->native());
  CHECK_FALSE(pair.handshake());
  ClientCtx modern;
  TlsMemoryPair ok(modern.ctx, server->native());
  CHECK(ok.handshake());
  CHECK(SSL_version(ok.client()) == TLS1_3_VERSION);
}

TEST_CASE("ServerContext::create reports every problem with its key path") {
  Listener listener;
  listener.config.policy = "ELBSecurityPolicy-Nope";
  listener.config.sni[1].private_key = listener.config.sni[0].private_key;  // ECDSA key, RSA cert
  listener.config.sni[2].certificate = listener.dir.path() + "/missing.pem";
  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  CHECK_FALSE(build(listener.config, errors, warnings));
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].key_path == "listener[0].tls.policy");
  CHECK(errors[0].message.find("ELBSecurityPolicy-TLS13-1-2-2021-06") != std::string::npos);
  CHECK(errors[1].key_path == "listener[0].tls.sni[1].private_key");
  CHECK(errors[2].key_path == "listener[0].tls.sni[2].certificate");
}

TEST_CASE("an expired certificate is served, with a warning that says so") {
  CertificateDir dir;
  auto paths = dir.write("old", make_certificate({.common_name = "old.test",
                                                  .not_before_seconds = -86400 * 60,
                                                  .not_after_seconds = -86400}));
  config::TlsConfig config;
  config.default_certificate = {paths.certificate, paths.private_key};
  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  auto server = build(config, errors, warnings);
  CHECK(server);
  CHECK(errors.empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("listener[0].tls.certificate") == 0);
  CHECK(warnings[0].find("EXPIRED") != std::string::npos);
}

}  // namespace albatross::tls
