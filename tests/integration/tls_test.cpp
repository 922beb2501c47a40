// TLS termination and HTTPS targets, against the real albatross binary over loopback. Every
// certificate is made at test time (support/test_certificates.hpp).

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <optional>

#include "support/app_target.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_test_support.hpp"

namespace albatross::testing {
namespace {

constexpr const char* kRequest =
    "GET /headers HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n";

// The certificates of the "https" listener: default RSA (site.test, *.site.test), and for
// api.test both an ECDSA and an RSA certificate.
struct Certificates {
  CertificateDir dir;
  CertificateDir::Paths site = dir.write(
      "site",
      make_certificate({.common_name = "site.test", .dns_names = {"site.test", "*.site.test"}}));
  CertificateDir::Paths api_ec = dir.write(
      "api-ec", make_certificate(
                    {.common_name = "api.test ecdsa", .dns_names = {"api.test"}, .ecdsa = true}));
  CertificateDir::Paths api_rsa = dir.write(
      "api-rsa", make_certificate({.common_name = "api.test rsa", .dns_names = {"api.test"}}));
};

std::string tls_table(const Certificates& c, const std::string& extra = {}) {
  return "[listener.tls]\ncertificate = \"" + c.site.certificate + "\"\nprivate_key = \"" +
         c.site.private_key + "\"\n" + extra + "[[listener.tls.sni]]\ncertificate = \"" +
         c.api_ec.certificate + "\"\nprivate_key = \"" + c.api_ec.private_key +
         "\"\n[[listener.tls.sni]]\ncertificate = \"" + c.api_rsa.certificate +
         "\"\nprivate_key = \"" + c.api_rsa.private_key + "\"\n";
}

std::string config_text(const std::string& tls, std::uint16_t target_port,
                        const std::string& global_extra = {}) {
  return "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n" + global_extra +
         "[[listener]]\nname = \"https\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n" + tls +
         "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:" + std::to_string(target_port) +
         "\"]\n[target_group.health_check]\nenabled = false\n";
}

double failures(const TlsDaemon& daemon, const std::string& reason) {
  return metric_value(
      http_get(daemon.admin_port(), "/metrics"),
      "albatross_tls_handshake_failures_total{listener=\"https\",reason=\"" + reason + "\"}");
}

TlsClientResult handshake(std::uint16_t port, int version, const std::string& sni = {}) {
  TlsClientOptions options;
  options.min_version = options.max_version = version;
  options.security_level = 0;  // let the client offer TLS 1.0/1.1 at all
  options.server_name = sni;
  return tls_request(port, options);
}

}  // namespace

TEST_CASE("the default policy accepts TLS 1.2 and 1.3 and refuses 1.0 and 1.1, counting them") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write("a.toml", config_text(tls_table(certs), app.port()));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");

  CHECK_FALSE(handshake(port, TLS1_VERSION).handshake_ok);
  CHECK_FALSE(handshake(port, TLS1_1_VERSION).handshake_ok);
  TlsClientResult tls12 = handshake(port, TLS1_2_VERSION);
  CHECK(tls12.handshake_ok);
  CHECK(tls12.version == TLS1_2_VERSION);
  TlsClientResult tls13 = handshake(port, TLS1_3_VERSION);
  CHECK(tls13.handshake_ok);
  CHECK(tls13.version == TLS1_3_VERSION);
  CHECK(tls13.alpn == "http/1.1");
  CHECK(eventually([&] { return failures(daemon, "protocol") == 2; }));
  // Refused handshakes are counted, never logged one by one.
  CHECK(daemon.log().find("error") == std::string::npos);
}

TEST_CASE("the TLS 1.3-only policy refuses TLS 1.2") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write(
      "a.toml", config_text(tls_table(certs, "policy = \"ELBSecurityPolicy-TLS13-1-3-2021-06\"\n"),
                            app.port()));
  TlsDaemon daemon(path);
  CHECK_FALSE(handshake(daemon.port("https"), TLS1_2_VERSION).handshake_ok);
  CHECK(handshake(daemon.port("https"), TLS1_3_VERSION).handshake_ok);
}

TEST_CASE("the legacy 2016-08 policy serves TLS 1.0 clients and stops at TLS 1.2") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write(
      "a.toml",
      config_text(tls_table(certs, "policy = \"ELBSecurityPolicy-2016-08\"\n"), app.port()));
  TlsDaemon daemon(path);
  TlsClientResult old = handshake(daemon.port("https"), TLS1_VERSION);
  CHECK_MESSAGE(old.handshake_ok, old.error);
  CHECK(old.version == TLS1_VERSION);
  CHECK_FALSE(handshake(daemon.port("https"), TLS1_3_VERSION).handshake_ok);
}

TEST_CASE(
    "SNI chooses the certificate; ECDSA and RSA are both served; the default is the fallback") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write("a.toml", config_text(tls_table(certs), app.port()));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");

  TlsClientOptions options;
  options.server_name = "api.test";
  TlsClientResult ec = tls_request(port, options);
  REQUIRE(ec.handshake_ok);
  CHECK(ec.leaf_dns_names == std::vector<std::string>{"api.test"});
  CHECK(ec.leaf_ecdsa);

  options.sigalgs = "rsa_pss_rsae_sha256:RSA+SHA256";  // a client without ECDSA
  TlsClientResult rsa = tls_request(port, options);
  REQUIRE(rsa.handshake_ok);
  CHECK(rsa.leaf_cn == "api.test rsa");
  CHECK_FALSE(rsa.leaf_ecdsa);

  TlsClientResult wildcard = handshake(port, 0, "www.site.test");
  REQUIRE(wildcard.handshake_ok);
  CHECK(wildcard.leaf_dns_names == std::vector<std::string>{"site.test", "*.site.test"});

  TlsClientResult unknown = handshake(port, 0, "elsewhere.test");
  REQUIRE(unknown.handshake_ok);
  CHECK(unknown.leaf_cn == "site.test");

  TlsClientResult no_sni = handshake(port, 0);
  REQUIRE(no_sni.handshake_ok);
  CHECK(no_sni.leaf_cn == "site.test");
}

TEST_CASE("a request over TLS reaches the target with X-Forwarded-Proto https and the port") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write(
      "a.toml", config_text(tls_table(certs), app.port(), "access_log = \"stderr\"\n"));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");
  TlsClientOptions options;
  options.server_name = "site.test";
  options.max_version = TLS1_2_VERSION;
  TlsClientResult result = tls_request(port, options, kRequest);
  REQUIRE(result.handshake_ok);
  CHECK(result.response.starts_with("HTTP/1.1 200"));
  CHECK(result.response.find("\nX-Forwarded-Proto: https\n") != std::string::npos);
  CHECK(result.response.find("\nX-Forwarded-Port: " + std::to_string(port) + "\n") !=
        std::string::npos);
  CHECK(result.close_notify);  // TLS closed properly, not a bare TCP close
  // The access log names the protocol, the cipher and the SNI, in OpenSSL's words as ALB does.
  CHECK(eventually([&] {
    std::string log = daemon.log();
    return log.find("https ") != std::string::npos &&
           log.find(" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ") != std::string::npos &&
           log.find("site.test") != std::string::npos;
  }));
}

TEST_CASE("a second connection resumes the session with its ticket (TLS 1.2 and 1.3)") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write("a.toml", config_text(tls_table(certs), app.port()));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    TlsClientOptions options;
    options.max_version = version;
    options.server_name = "site.test";
    TlsClientResult first = tls_request(port, options, kRequest);
    REQUIRE(first.handshake_ok);
    CHECK_FALSE(first.resumed);
    REQUIRE(first.session);
    options.resume = first.session.get();
    TlsClientResult second = tls_request(port, options, kRequest);
    REQUIRE(second.handshake_ok);
    CHECK(second.resumed);
    CHECK(second.response.starts_with("HTTP/1.1 200"));
  }
  std::string metrics = http_get(daemon.admin_port(), "/metrics");
  CHECK(metric_value(metrics,
                     "albatross_tls_handshakes_total{listener=\"https\",session=\"resumed\"}") ==
        2);
}

TEST_CASE("a client that sends nothing is closed at handshake_timeout, and counted") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write(
      "a.toml", config_text(tls_table(certs, "handshake_timeout = \"300ms\"\n"), app.port()));
  TlsDaemon daemon(path);
  TlsClientOptions options;
  options.send_nothing = true;
  TlsClientResult result = tls_request(daemon.port("https"), options);
  CHECK(result.closed_by_server);
  CHECK(result.elapsed >= std::chrono::milliseconds(250));
  CHECK(result.elapsed < std::chrono::seconds(3));
  CHECK(eventually([&] { return failures(daemon, "timeout") == 1; }));
}

TEST_CASE("a renewed certificate is served after a reload; the old one until then") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write("a.toml", config_text(tls_table(certs), app.port()));
  TlsDaemon daemon(path);
  std::uint16_t port = daemon.port("https");
  CHECK(handshake(port, 0, "site.test").leaf_cn == "site.test");
  certs.dir.write("site", make_certificate({.common_name = "site.test renewed",
                                            .dns_names = {"site.test", "*.site.test"}}));
  CHECK(handshake(port, 0, "site.test").leaf_cn == "site.test");
  REQUIRE(daemon.reload());
  CHECK(handshake(port, 0, "site.test").leaf_cn == "site.test renewed");

  // A broken renewal (a key that does not match) fails the reload; the running one stays.
  certs.dir.write("site.key", make_certificate({}).private_key_pem, 0600);
  REQUIRE(daemon.reload("reload failed"));
  CHECK(daemon.log().find("listener[0].tls.private_key") != std::string::npos);
  CHECK(handshake(port, 0, "site.test").leaf_cn == "site.test renewed");
}

TEST_CASE("certificate expiry is exported per listener and certificate") {
  Certificates certs;
  AppTarget app;
  std::string path = certs.dir.write("a.toml", config_text(tls_table(certs), app.port()));
  TlsDaemon daemon(path);
  std::string metrics = http_get(daemon.admin_port(), "/metrics");
  double expiry = metric_value(
      metrics,
      "albatross_tls_certificate_expiry_timestamp_seconds{certificate=\"api.test ecdsa\","
      "listener=\"https\"}");
  double now = static_cast<double>(std::time(nullptr));
  CHECK(expiry > now + 29 * 86400);
  CHECK(expiry < now + 31 * 86400);
}

TEST_CASE("--check refuses unusable certificates and keys, naming the key path") {
  Certificates certs;
  auto run = [&](const std::string& tls) {
    std::string path = certs.dir.write("check.toml", config_text(tls, 9));
    return run_albatross_check(path);
  };
  auto table = [&](const std::string& cert, const std::string& key) {
    return "[listener.tls]\ncertificate = \"" + cert + "\"\nprivate_key = \"" + key + "\"\n";
  };

  CheckResult ok = run(tls_table(certs));
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);

  SUBCASE("a key that does not match its certificate") {
    CheckResult r = run(table(certs.site.certificate, certs.api_rsa.private_key));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("listener[0].tls.private_key: private key") != std::string::npos);
    CHECK(r.output.find("does not match") != std::string::npos);
  }
  SUBCASE("an unreadable file") {
    CheckResult r = run(table(certs.dir.path() + "/absent.pem", certs.site.private_key));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("listener[0].tls.certificate: cannot read") != std::string::npos);
  }
  SUBCASE("a malformed file") {
    std::string bad = certs.dir.write("bad.pem",
                                      "-----BEGIN CERTIFICATE-----\nnope\n"
                                      "-----END CERTIFICATE-----\n");
    CheckResult r = run(table(bad, certs.site.private_key));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("listener[0].tls.certificate:") != std::string::npos);
  }
  SUBCASE("a private key readable by group") {
    std::string key = certs.dir.write("group.key", make_certificate({}).private_key_pem, 0640);
    CheckResult r = run(table(certs.site.certificate, key));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("listener[0].tls.private_key:") != std::string::npos);
    CHECK(r.output.find("accessible by group or others (mode 0640)") != std::string::npos);
  }
  SUBCASE("a bad sni entry and an unknown policy, both reported") {
    std::string tls = tls_table(certs, "policy = \"ELBSecurityPolicy-Nope\"\n") +
                      "[[listener.tls.sni]]\ncertificate = \"" + certs.api_ec.certificate +
                      "\"\nprivate_key = \"" + certs.site.private_key + "\"\n";
    CheckResult r = run(tls);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("listener[0].tls.policy: unknown security policy") != std::string::npos);
    CHECK(r.output.find("listener[0].tls.sni[2].private_key:") != std::string::npos);
  }
  SUBCASE("an expired certificate passes, with a loud warning") {
    auto old = certs.dir.write("old", make_certificate({.common_name = "old.test",
                                                        .not_before_seconds = -90 * 86400,
                                                        .not_after_seconds = -86400}));
    CheckResult r = run(table(old.certificate, old.private_key));
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("EXPIRED") != std::string::npos);
  }
}

TEST_CASE("HTTPS targets: TLS to the target with SNI, unverified by default, verified on request") {
  CertificateDir dir;
  TestCertificate ca = make_certificate({.common_name = "Target CA", .ca = true});
  TestCertificate target_cert =
      make_certificate({.common_name = "localhost", .dns_names = {"localhost"}, .issuer = &ca});
  TlsEchoTarget target(target_cert.certificate_pem, target_cert.private_key_pem);
  std::string ca_file = dir.write("ca.pem", ca.certificate_pem);
  TestCertificate other_ca = make_certificate({.common_name = "Other CA", .ca = true});
  std::string other_ca_file = dir.write("other-ca.pem", other_ca.certificate_pem);

  auto config = [&](const std::string& group_extra,
                    const std::string& health_check = "enabled = false\n") {
    return "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n"
           "[[listener]]\nname = \"http\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"secure\"\n"
           "[[target_group]]\nname = \"secure\"\nprotocol = \"https\"\n" +
           group_extra + "targets = [\"localhost:" + std::to_string(target.port()) +
           "\"]\n[target_group.health_check]\n" + health_check;
  };
  auto get = [&](const TlsDaemon& daemon) { return http_get(daemon.port("http"), "/hello"); };

  SUBCASE("unverified, as ALB") {
    TlsDaemon daemon(dir.write("a.toml", config("")));
    std::string first = get(daemon);
    CHECK(first.starts_with("HTTP/1.1 200"));
    CHECK(first.find("sni=localhost\n") != std::string::npos);
    CHECK(first.find("GET /hello HTTP/1.1\r\n") != std::string::npos);
    CHECK(first.find("X-Forwarded-Proto: http\r\n") != std::string::npos);
    // The pooled TLS connection carries the next exchange.
    CHECK(get(daemon).starts_with("HTTP/1.1 200"));
    CHECK(target.handshakes() == 1);
  }
  SUBCASE("health checks go over TLS too") {
    TlsDaemon daemon(dir.write("a.toml", config("", "interval = \"1s\"\ntimeout = \"500ms\"\n")));
    CHECK(eventually(
        [&] {
          return http_get(daemon.admin_port(), "/status").find("\"state\":\"healthy\"") !=
                 std::string::npos;
        },
        std::chrono::seconds(10)));
    CHECK(target.handshakes() >= 1);
  }
  SUBCASE("verified against the right CA") {
    TlsDaemon daemon(dir.write("a.toml", config("verify = true\nca_file = \"" + ca_file + "\"\n")));
    CHECK(get(daemon).starts_with("HTTP/1.1 200"));
  }
  SUBCASE("verified against another CA: 502") {
    TlsDaemon daemon(
        dir.write("a.toml", config("verify = true\nca_file = \"" + other_ca_file + "\"\n")));
    CHECK(get(daemon).starts_with("HTTP/1.1 502"));
  }
  SUBCASE("an unreadable ca_file is a configuration error") {
    CheckResult r = run_albatross_check(
        dir.write("a.toml", config("verify = true\nca_file = \"" + dir.path() + "/none.pem\"\n")));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("target_group[0].ca_file: cannot load CA certificates") !=
          std::string::npos);
  }
}

}  // namespace albatross::testing
