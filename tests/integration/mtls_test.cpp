// Mutual TLS on a TLS listener, against the real albatross binary over loopback: client
// certificates of a test CA (valid, expired, unknown CA, revoked through a CRL) made at test
// time, in verify and passthrough modes, with --check and reload.

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include "support/app_target.hpp"
#include "support/test_certificates.hpp"
#include "support/test_pki.hpp"
#include "support/tls_test_support.hpp"

namespace albatross::testing {
namespace {

constexpr const char* kRequest =
    "GET /headers HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n";

struct Pki {
  CertificateDir dir;
  TestCertificate root = make_certificate({.common_name = "Test Root CA", .ca = true});
  TestCertificate issuing =
      make_certificate({.common_name = "Test Issuing CA", .ca = true, .issuer = &root});
  TestCertificate other_root = make_certificate({.common_name = "Other CA", .ca = true});
  TestCertificate valid = make_certificate({.common_name = "client-valid", .issuer = &issuing});
  TestCertificate expired = make_certificate({.common_name = "client-expired",
                                              .not_before_seconds = -7200,
                                              .not_after_seconds = -3600,
                                              .issuer = &issuing});
  TestCertificate unknown =
      make_certificate({.common_name = "client-unknown", .issuer = &other_root});
  TestCertificate revoked = make_certificate({.common_name = "client-revoked", .issuer = &issuing});
  CertificateDir::Paths server =
      dir.write("site", make_certificate({.common_name = "site.test", .dns_names = {"site.test"}}));
};

std::string config_text(const Pki& pki, std::uint16_t target_port, const std::string& tls_extra) {
  return "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n"
         "[[listener]]\nname = \"https\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
         "[listener.tls]\ncertificate = \"" +
         pki.server.certificate + "\"\nprivate_key = \"" + pki.server.private_key + "\"\n" +
         tls_extra +
         "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:" + std::to_string(target_port) +
         "\"]\n[target_group.health_check]\nenabled = false\n";
}

// One request over TLS presenting `cert` (none when null): the response, "" when refused.
TlsClientResult request_with(std::uint16_t port, const TestCertificate* cert, int version = 0) {
  TlsClientOptions options;
  options.server_name = "site.test";
  options.min_version = options.max_version = version;
  if (cert != nullptr) {
    options.client_certificate_pem = cert->certificate_pem;
    options.client_key_pem = cert->private_key_pem;
  }
  return tls_request(port, options, kRequest);
}

bool served(const TlsClientResult& r) {
  return r.handshake_ok && r.response.starts_with("HTTP/1.1 200");
}

double refusals(const TlsDaemon& daemon, const std::string& reason) {
  return metric_value(
      http_get(daemon.admin_port(), "/metrics"),
      "albatross_tls_client_auth_failures_total{listener=\"https\",reason=\"" + reason + "\"}");
}

}  // namespace

TEST_CASE("client_auth = verify serves a valid client certificate and refuses the others") {
  Pki pki;
  AppTarget app;
  std::string trust = pki.dir.write("trust.pem", pki.root.certificate_pem);
  std::string crl = pki.dir.write("crl.pem", make_crl(pki.issuing, {&pki.revoked}));
  std::string path =
      pki.dir.write("a.toml", config_text(pki, app.port(),
                                          "client_auth = \"verify\"\ntrust_store = \"" + trust +
                                              "\"\ncrl_file = \"" + crl + "\"\n"));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");

  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CAPTURE(version);
    TlsClientResult ok = request_with(port, &pki.valid, version);
    CHECK_MESSAGE(served(ok), ok.error);
    CHECK_FALSE(served(request_with(port, nullptr, version)));
    CHECK_FALSE(served(request_with(port, &pki.expired, version)));
    CHECK_FALSE(served(request_with(port, &pki.unknown, version)));
    TlsClientResult revoked = request_with(port, &pki.revoked, version);
    CHECK_FALSE(served(revoked));
    if (version == TLS1_3_VERSION) CHECK(revoked.alert_received == SSL_AD_CERTIFICATE_REVOKED);
  }
  CHECK(eventually([&] { return refusals(daemon, "missing") == 2; }));
  CHECK(eventually([&] { return refusals(daemon, "expired") == 2; }));
  CHECK(eventually([&] { return refusals(daemon, "unknown_ca") == 2; }));
  CHECK(eventually([&] { return refusals(daemon, "revoked") == 2; }));
  CHECK(eventually([&] {
    return metric_value(http_get(daemon.admin_port(), "/metrics"),
                        "albatross_tls_handshake_failures_total{listener=\"https\",reason="
                        "\"client_certificate\"}") == 8;
  }));
  // Logged, at most once per reason per 10 s.
  std::string log = daemon.log();
  CHECK(log.find("client certificate refused (revoked): certificate revoked at depth 0, subject "
                 "/CN=client-revoked") != std::string::npos);
  auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
      ++n;
    return n;
  };
  CHECK(count("client certificate refused (expired)") == 1);
  CHECK(count("client certificate refused (missing)") == 1);
}

TEST_CASE("client_auth = passthrough serves any client certificate, and clients without one") {
  Pki pki;
  AppTarget app;
  std::string path =
      pki.dir.write("a.toml", config_text(pki, app.port(), "client_auth = \"passthrough\"\n"));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");
  CHECK(served(request_with(port, &pki.valid)));
  CHECK(served(request_with(port, &pki.expired)));
  CHECK(served(request_with(port, &pki.unknown)));
  CHECK(served(request_with(port, nullptr)));
}

TEST_CASE("a reload with a new CRL refuses a client it revokes, even one resuming a session") {
  Pki pki;
  AppTarget app;
  std::string trust = pki.dir.write("trust.pem", pki.root.certificate_pem);
  std::string path = pki.dir.write(
      "a.toml",
      config_text(pki, app.port(), "client_auth = \"verify\"\ntrust_store = \"" + trust + "\"\n"));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");
  TlsClientOptions options;
  options.server_name = "site.test";
  options.client_certificate_pem = pki.revoked.certificate_pem;
  options.client_key_pem = pki.revoked.private_key_pem;
  TlsClientResult first = tls_request(port, options, kRequest);
  REQUIRE(served(first));
  REQUIRE(first.session);
  options.resume = first.session.get();
  TlsClientResult resumed = tls_request(port, options, kRequest);
  CHECK(served(resumed));
  CHECK(resumed.resumed);

  // The CRL now in the trust store itself.
  pki.dir.write("trust.pem", pki.root.certificate_pem + make_crl(pki.issuing, {&pki.revoked}));
  REQUIRE(daemon.reload());
  TlsClientResult after = tls_request(port, options, kRequest);
  CHECK_FALSE(served(after));
  CHECK_FALSE(after.resumed);
  CHECK(eventually([&] { return refusals(daemon, "revoked") == 1; }));
  CHECK(served(request_with(port, &pki.valid)));
}

TEST_CASE("--check refuses an unreadable or malformed trust store, naming its key") {
  Pki pki;
  CheckResult missing = run_albatross_check(
      pki.dir.write("a.toml", config_text(pki, 9,
                                          "client_auth = \"verify\"\ntrust_store = \"" +
                                              pki.dir.path() + "/none.pem\"\n")));
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("listener[0].tls.trust_store: cannot read") != std::string::npos);

  std::string junk = pki.dir.write("junk.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  CheckResult malformed = run_albatross_check(pki.dir.write(
      "b.toml", config_text(pki, 9, "client_auth = \"verify\"\ntrust_store = \"" + junk + "\"\n")));
  CHECK(malformed.exit_code == 1);
  CHECK(malformed.output.find("listener[0].tls.trust_store:") != std::string::npos);

  CheckResult no_store = run_albatross_check(
      pki.dir.write("c.toml", config_text(pki, 9, "client_auth = \"verify\"\n")));
  CHECK(no_store.exit_code == 1);
  CHECK(no_store.output.find("listener[0].tls.trust_store: missing required key") !=
        std::string::npos);

  std::string trust = pki.dir.write("trust.pem", pki.root.certificate_pem);
  CheckResult good = run_albatross_check(pki.dir.write(
      "d.toml",
      config_text(pki, 9, "client_auth = \"verify\"\ntrust_store = \"" + trust + "\"\n")));
  CHECK_MESSAGE(good.exit_code == 0, good.output);
}

}  // namespace albatross::testing
