// Mutual TLS and OCSP stapling on ServerContext, handshaking in memory (no sockets): the client
// certificates, CRLs and OCSP responses are made at test time.
#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <map>
#include <mutex>

#include "albatross/tls/client_cert_headers.hpp"
#include "albatross/tls/server_context.hpp"
#include "support/test_certificates.hpp"
#include "support/test_pki.hpp"
#include "support/tls_memory_pair.hpp"

namespace albatross::tls {
namespace {

using testing::CertificateDir;
using testing::make_certificate;
using testing::make_crl;
using testing::make_ocsp_response;
using testing::TestCertificate;
using testing::TestOcspStatus;
using testing::TlsMemoryPair;

// A CA with an intermediate, client certificates of every kind, and a server certificate.
struct Pki {
  CertificateDir dir;
  TestCertificate root = make_certificate({.common_name = "Test Root CA", .ca = true});
  TestCertificate intermediate =
      make_certificate({.common_name = "Test Issuing CA", .ca = true, .issuer = &root});
  TestCertificate other_root = make_certificate({.common_name = "Other CA", .ca = true});
  TestCertificate client = make_certificate({.common_name = "client-1", .issuer = &intermediate});
  TestCertificate revoked = make_certificate({.common_name = "client-2", .issuer = &intermediate});
  TestCertificate expired = make_certificate({.common_name = "client-3",
                                              .not_before_seconds = -7200,
                                              .not_after_seconds = -3600,
                                              .issuer = &intermediate});
  TestCertificate stranger = make_certificate({.common_name = "client-4", .issuer = &other_root});
  TestCertificate self_signed = make_certificate({.common_name = "client-5"});
  TestCertificate server_cert = make_certificate(
      {.common_name = "site.test", .dns_names = {"site.test"}, .issuer = &intermediate});

  config::TlsConfig listener(config::ClientAuthMode mode, const std::string& trust_store_pem = {},
                             const std::string& crl_pem = {}) {
    config::TlsConfig c;
    auto paths = dir.write("server", server_cert);
    c.default_certificate = {paths.certificate, paths.private_key, {}};
    c.client_auth = mode;
    if (!trust_store_pem.empty()) c.trust_store = dir.write("trust.pem", trust_store_pem);
    if (!crl_pem.empty()) c.crl_file = dir.write("crl.pem", crl_pem);
    return c;
  }
};

// Refusals counted by the Services callback.
struct Refusals {
  std::mutex mutex;
  std::map<ClientAuthFailure, int> counts;
  int operator[](ClientAuthFailure reason) {
    std::lock_guard lock(mutex);
    return counts[reason];
  }
};

std::shared_ptr<const ServerContext> build(const config::TlsConfig& config, Refusals* refusals,
                                           std::vector<ServerContext::Problem>& errors,
                                           std::vector<std::string>& warnings) {
  ServerContext::Services services;
  services.listener = "mtls";
  if (refusals != nullptr) {
    services.count_client_auth_failure = [refusals](ClientAuthFailure reason) {
      std::lock_guard lock(refusals->mutex);
      ++refusals->counts[reason];
    };
  }
  return ServerContext::create(config, "listener[0].tls", std::make_shared<TicketKeyRing>(),
                               std::time(nullptr), errors, warnings, std::move(services));
}

std::shared_ptr<const ServerContext> build(const config::TlsConfig& config,
                                           Refusals* refusals = nullptr) {
  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  auto server = build(config, refusals, errors, warnings);
  for (const auto& e : errors)
    MESSAGE(e.key_path, ": ", e.message);
  REQUIRE(server);
  return server;
}

struct ClientCtx {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ~ClientCtx() { SSL_CTX_free(ctx); }
  // Presents `cert` (its PEM chain: the leaf, then its issuers) with its key.
  void present(const TestCertificate& cert) {
    BIO* bio =
        BIO_new_mem_buf(cert.certificate_pem.data(), static_cast<int>(cert.certificate_pem.size()));
    X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    STACK_OF(X509)* chain = sk_X509_new_null();
    while (X509* next = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
      sk_X509_push(chain, next);
    ERR_clear_error();
    BIO_free(bio);
    bio =
        BIO_new_mem_buf(cert.private_key_pem.data(), static_cast<int>(cert.private_key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(SSL_CTX_use_cert_and_key(ctx, leaf, key, chain, 1) == 1);
    X509_free(leaf);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
  }
};

struct Outcome {
  bool ok = false;
  ClientCertHeaders headers;
};

Outcome connect(const ServerContext& server, config::ClientAuthMode mode,
                const TestCertificate* cert, int max_version = 0) {
  ClientCtx client;
  if (cert != nullptr) client.present(*cert);
  if (max_version != 0) SSL_CTX_set_max_proto_version(client.ctx, max_version);
  TlsMemoryPair pair(client.ctx, server.native());
  Outcome out;
  // TLS 1.3: the client finishes before the server has read its certificate; the server's
  // verdict is in its own handshake result.
  out.ok = pair.handshake() && SSL_is_init_finished(pair.server());
  if (out.ok) out.headers = client_cert_headers(pair.server(), mode);
  return out;
}

std::string field(const ClientCertHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers.fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("client_auth = verify accepts a client certificate of the trust store's CA") {
  Pki pki;
  Refusals refusals;
  auto server =
      build(pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem), &refusals);
  for (int version : {0, TLS1_2_VERSION}) {
    CAPTURE(version);
    Outcome outcome = connect(*server, config::ClientAuthMode::verify, &pki.client, version);
    REQUIRE(outcome.ok);
    CHECK(field(outcome.headers, kClientCertSubject) == "CN=client-1");
    CHECK(field(outcome.headers, kClientCertIssuer) == "CN=Test Issuing CA");
    CHECK(field(outcome.headers, kClientCertLeaf).starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
    CHECK(field(outcome.headers, kClientCert) == "<absent>");
  }
  CHECK(refusals.counts.empty());
}

TEST_CASE(
    "client_auth = verify refuses a missing, expired, unknown-CA or self-signed certificate") {
  Pki pki;
  Refusals refusals;
  auto server =
      build(pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem), &refusals);
  for (int version : {0, TLS1_2_VERSION}) {
    CAPTURE(version);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, nullptr, version).ok);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.expired, version).ok);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.stranger, version).ok);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.self_signed, version).ok);
  }
  CHECK(refusals[ClientAuthFailure::missing] == 2);
  CHECK(refusals[ClientAuthFailure::expired] == 2);
  CHECK(refusals[ClientAuthFailure::unknown_ca] == 4);
}

TEST_CASE("client_auth = verify checks CRLs from the trust store and from crl_file") {
  Pki pki;
  SUBCASE("a CRL of the issuing CA inside the trust store PEM") {
    Refusals refusals;
    std::string bundle = pki.root.certificate_pem + make_crl(pki.intermediate, {&pki.revoked});
    auto server = build(pki.listener(config::ClientAuthMode::verify, bundle), &refusals);
    CHECK(server->trust_store()->crl_count() == 1);
    CHECK(connect(*server, config::ClientAuthMode::verify, &pki.client).ok);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.revoked).ok);
    CHECK(refusals[ClientAuthFailure::revoked] == 1);
  }
  SUBCASE("crl_file: the root revokes the issuing CA, which refuses every client below it") {
    Refusals refusals;
    auto server = build(pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem,
                                     make_crl(pki.root, {&pki.intermediate})),
                        &refusals);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.client).ok);
    CHECK(refusals[ClientAuthFailure::revoked] == 1);
  }
  SUBCASE("an expired CRL refuses the certificates it covers, with a warning at load") {
    Refusals refusals;
    std::vector<ServerContext::Problem> errors;
    std::vector<std::string> warnings;
    auto server = build(pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem,
                                     make_crl(pki.intermediate, {}, -60)),
                        &refusals, errors, warnings);
    REQUIRE(server);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("past its nextUpdate") != std::string::npos);
    CHECK_FALSE(connect(*server, config::ClientAuthMode::verify, &pki.client).ok);
    CHECK(refusals[ClientAuthFailure::crl] == 1);
  }
}

TEST_CASE("client_auth = passthrough takes any certificate, or none, and passes the chain on") {
  Pki pki;
  auto server = build(pki.listener(config::ClientAuthMode::passthrough));
  Outcome none = connect(*server, config::ClientAuthMode::passthrough, nullptr);
  CHECK(none.ok);
  CHECK(none.headers.empty());
  for (const TestCertificate* cert : {&pki.client, &pki.expired, &pki.self_signed}) {
    Outcome outcome = connect(*server, config::ClientAuthMode::passthrough, cert);
    REQUIRE(outcome.ok);
    REQUIRE(outcome.headers.fields.size() == 1);
    CHECK(outcome.headers.fields[0].first == kClientCert);
    CHECK(outcome.headers.fields[0].second == url_encode(cert->certificate_pem));
  }
}

TEST_CASE("client certificate errors carry their key paths") {
  Pki pki;
  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  config::TlsConfig c = pki.listener(config::ClientAuthMode::verify, "not a PEM file\n");
  CHECK_FALSE(build(c, nullptr, errors, warnings));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].key_path == "listener[0].tls.trust_store");
  CHECK(errors[0].message.find("no PEM CA certificate") != std::string::npos);

  errors.clear();
  c = pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem,
                   pki.root.certificate_pem);
  CHECK_FALSE(build(c, nullptr, errors, warnings));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].key_path == "listener[0].tls.crl_file");

  errors.clear();
  c = pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem);
  c.trust_store = pki.dir.path() + "/missing.pem";
  CHECK_FALSE(build(c, nullptr, errors, warnings));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].key_path == "listener[0].tls.trust_store");
  CHECK(errors[0].message.find("cannot read") != std::string::npos);
}

TEST_CASE("a session is not resumed under another client_auth mode or trust store") {
  Pki pki;
  auto verify = build(pki.listener(config::ClientAuthMode::verify, pki.root.certificate_pem));
  auto other_store = build(pki.listener(config::ClientAuthMode::verify,
                                        pki.root.certificate_pem + make_crl(pki.intermediate, {})));
  ClientCtx client;
  client.present(pki.client);
  SSL_SESSION* session = nullptr;
  {
    TlsMemoryPair pair(client.ctx, verify->native());
    REQUIRE(pair.handshake());
    REQUIRE(pair.server_to_client());
    session = SSL_get1_session(pair.client());
  }
  REQUIRE(session != nullptr);
  {
    TlsMemoryPair pair(client.ctx, verify->native());
    SSL_set_session(pair.client(), session);
    REQUIRE(pair.handshake());
    CHECK(SSL_session_reused(pair.server()) == 1);
    // Resumed: the leaf is still known, so every request still gets its fields.
    CHECK(field(client_cert_headers(pair.server(), config::ClientAuthMode::verify),
                kClientCertSubject) == "CN=client-1");
  }
  {
    TlsMemoryPair pair(client.ctx, other_store->native());
    SSL_set_session(pair.client(), session);
    REQUIRE(pair.handshake());
    CHECK(SSL_session_reused(pair.server()) == 0);
  }
  SSL_SESSION_free(session);
}

//------------------------------------------------------------------------------------------------
// OCSP stapling from ocsp_response_file

namespace {

// The OCSP response the client received, "" when none was stapled.
std::string stapled(const ServerContext& server) {
  ClientCtx client;
  TlsMemoryPair pair(client.ctx, server.native());
  SSL_set_tlsext_status_type(pair.client(), TLSEXT_STATUSTYPE_ocsp);
  REQUIRE(pair.handshake());
  const unsigned char* data = nullptr;
  long length = SSL_get_tlsext_status_ocsp_resp(pair.client(), &data);
  return length > 0 ? std::string(reinterpret_cast<const char*>(data), length) : std::string();
}

}  // namespace

TEST_CASE("ocsp_response_file is stapled while valid; problems carry the key path") {
  Pki pki;
  config::TlsConfig c = pki.listener(config::ClientAuthMode::off);
  c.ocsp_stapling = true;
  std::string good = make_ocsp_response(pki.server_cert, pki.intermediate, TestOcspStatus::good);
  c.default_certificate.ocsp_response_file = pki.dir.write("good.ocsp", good);
  auto server = build(c);
  CHECK(stapled(*server) == good);
  CHECK(server->staple_from_file(0));

  std::vector<ServerContext::Problem> errors;
  std::vector<std::string> warnings;
  SUBCASE("expired: served without a staple, with a warning") {
    c.default_certificate.ocsp_response_file = pki.dir.write(
        "old.ocsp",
        make_ocsp_response(pki.server_cert, pki.intermediate, TestOcspStatus::good, -7200, -3600));
    auto old = build(c, nullptr, errors, warnings);
    REQUIRE(old);
    CHECK(stapled(*old).empty());
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("expired") != std::string::npos);
  }
  SUBCASE("revoked: not stapled") {
    c.default_certificate.ocsp_response_file = pki.dir.write(
        "revoked.ocsp",
        make_ocsp_response(pki.server_cert, pki.intermediate, TestOcspStatus::revoked));
    auto revoked = build(c, nullptr, errors, warnings);
    REQUIRE(revoked);
    CHECK(stapled(*revoked).empty());
  }
  SUBCASE("signed by another CA: refused") {
    c.default_certificate.ocsp_response_file = pki.dir.write(
        "forged.ocsp", make_ocsp_response(pki.server_cert, pki.intermediate, TestOcspStatus::good,
                                          -60, 3600, &pki.other_root));
    CHECK_FALSE(build(c, nullptr, errors, warnings));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key_path == "listener[0].tls.ocsp_response_file");
    CHECK(errors[0].message.find("signature") != std::string::npos);
  }
  SUBCASE("not an OCSP response: refused") {
    c.default_certificate.ocsp_response_file = pki.dir.write("junk.ocsp", "junk");
    CHECK_FALSE(build(c, nullptr, errors, warnings));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key_path == "listener[0].tls.ocsp_response_file");
  }
}

TEST_CASE("without ocsp_stapling nothing is stapled") {
  Pki pki;
  auto server = build(pki.listener(config::ClientAuthMode::off));
  CHECK(stapled(*server).empty());
}

}  // namespace albatross::tls

namespace albatross::tls {

// A resumed session would know the leaf only (OpenSSL keeps no peer chain in tickets), so
// passthrough listeners do not resume.
TEST_CASE("passthrough forwards the same chain on every connection of a client") {
  Pki pki;
  auto server = build(pki.listener(config::ClientAuthMode::passthrough));
  ClientCtx client;
  client.present(pki.client);
  SSL_SESSION* session = nullptr;
  ClientCertHeaders full;
  {
    TlsMemoryPair pair(client.ctx, server->native());
    REQUIRE(pair.handshake());
    REQUIRE(pair.server_to_client());
    full = client_cert_headers(pair.server(), config::ClientAuthMode::passthrough);
    session = SSL_get1_session(pair.client());
  }
  REQUIRE(full.fields.size() == 1);
  CHECK(full.fields[0].second == url_encode(pki.client.certificate_pem));
  {
    TlsMemoryPair pair(client.ctx, server->native());
    if (session != nullptr) SSL_set_session(pair.client(), session);
    REQUIRE(pair.handshake());
    CHECK(SSL_session_reused(pair.server()) == 0);
    ClientCertHeaders again =
        client_cert_headers(pair.server(), config::ClientAuthMode::passthrough);
    REQUIRE(again.fields.size() == 1);
    CHECK(again.fields[0].second == full.fields[0].second);
  }
  SSL_SESSION_free(session);
}

}  // namespace albatross::tls
