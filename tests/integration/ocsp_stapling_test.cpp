// OCSP stapling against the real albatross binary: a local responder on 127.0.0.1 (the
// certificate's AIA points at it) answering with responses signed at test time; the staple is
// checked with the OpenSSL client API (status_request). Good, revoked, responder down and its
// recovery, a reload that keeps the response, and ocsp_response_file.

#include <doctest/doctest.h>

#include "support/app_target.hpp"
#include "support/ocsp_responder.hpp"
#include "support/test_certificates.hpp"
#include "support/test_pki.hpp"
#include "support/tls_test_support.hpp"

namespace albatross::testing {
namespace {

constexpr auto kFetchDeadline = std::chrono::seconds(20);

struct Site {
  CertificateDir dir;
  OcspResponder responder;
  TestCertificate ca = make_certificate({.common_name = "Test CA", .ca = true});
  TestCertificate leaf = make_certificate({.common_name = "site.test",
                                           .dns_names = {"site.test"},
                                           .issuer = &ca,
                                           .ocsp_url = responder.url()});
  CertificateDir::Paths paths = dir.write("site", leaf);  // the leaf, then the CA

  std::string response(TestOcspStatus status, long this_update = -60, long next_update = 3600) {
    return make_ocsp_response(leaf, ca, status, this_update, next_update);
  }
};

std::string config_text(const Site& site, std::uint16_t target_port, const std::string& extra) {
  return "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n"
         "[[listener]]\nname = \"https\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
         "[listener.tls]\ncertificate = \"" +
         site.paths.certificate + "\"\nprivate_key = \"" + site.paths.private_key +
         "\"\nocsp_stapling = true\n" + extra +
         "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:" + std::to_string(target_port) +
         "\"]\n[target_group.health_check]\nenabled = false\n";
}

// The response stapled to a new handshake, "" for none.
std::string stapled(std::uint16_t port) {
  TlsClientOptions options;
  options.server_name = "site.test";
  options.request_ocsp = true;
  TlsClientResult r = tls_request(port, options);
  REQUIRE_MESSAGE(r.handshake_ok, r.error);
  return r.ocsp_response;
}

double metric(const TlsDaemon& daemon, const std::string& series) {
  return metric_value(http_get(daemon.admin_port(), "/metrics"), series);
}

}  // namespace

TEST_CASE("a good response from the certificate's responder is stapled, and kept over a reload") {
  Site site;
  AppTarget app;
  std::string good = site.response(TestOcspStatus::good);
  site.responder.set_response(good);
  REQUIRE(site.responder.start());
  TlsDaemon daemon(site.dir.write("a.toml", config_text(site, app.port(), "")));
  std::uint16_t port = daemon.port("https");
  CHECK(eventually([&] { return stapled(port) == good; }, kFetchDeadline));
  CHECK(eventually([&] {
    return metric(daemon,
                  "albatross_tls_ocsp_staple_age_seconds{certificate=\"site.test\","
                  "listener=\"https\"}") >= 0;
  }));
  // A client that does not ask gets nothing stapled.
  TlsClientOptions plain;
  plain.server_name = "site.test";
  CHECK(tls_request(port, plain).ocsp_response.empty());

  // Reload: the same certificate keeps its response and its schedule (no new fetch needed).
  int fetched = site.responder.requests();
  site.responder.stop();
  REQUIRE(daemon.reload());
  CHECK(stapled(port) == good);
  CHECK(site.responder.requests() == fetched);
}

TEST_CASE("a revoked response is not stapled") {
  Site site;
  AppTarget app;
  site.responder.set_response(site.response(TestOcspStatus::revoked));
  REQUIRE(site.responder.start());
  TlsDaemon daemon(site.dir.write("a.toml", config_text(site, app.port(), "")));
  CHECK(eventually(
      [&] {
        return metric(daemon,
                      "albatross_tls_ocsp_fetch_failures_total{certificate=\"site.test\","
                      "reason=\"revoked\"}") >= 1;
      },
      kFetchDeadline));
  CHECK(stapled(daemon.port("https")).empty());
  CHECK(daemon.log().find("is REVOKED") != std::string::npos);
}

TEST_CASE("with the responder down nothing is stapled; once it answers, the response is") {
  Site site;
  AppTarget app;
  std::string good = site.response(TestOcspStatus::good);
  site.responder.set_response(good);
  TlsDaemon daemon(site.dir.write("a.toml", config_text(site, app.port(), "")));
  std::uint16_t port = daemon.port("https");
  CHECK(eventually(
      [&] {
        return metric(daemon,
                      "albatross_tls_ocsp_fetch_failures_total{certificate=\"site.test\","
                      "reason=\"network\"}") >= 1;
      },
      kFetchDeadline));
  CHECK(stapled(port).empty());
  // An expired or forged response is not stapled either.
  site.responder.set_response(site.response(TestOcspStatus::good, -7200, -60));
  REQUIRE(site.responder.start());
  CHECK(eventually(
      [&] {
        return metric(daemon,
                      "albatross_tls_ocsp_fetch_failures_total{certificate=\"site.test\","
                      "reason=\"invalid\"}") >= 1;
      },
      kFetchDeadline));
  CHECK(stapled(port).empty());
  site.responder.set_response(good);
  CHECK(eventually([&] { return stapled(port) == good; }, kFetchDeadline));
}

TEST_CASE("ocsp_response_file is stapled, and re-read on reload") {
  Site site;
  AppTarget app;
  std::string first = site.response(TestOcspStatus::good, -120);
  std::string file = site.dir.write("site.ocsp", first);
  TlsDaemon daemon(site.dir.write(
      "a.toml", config_text(site, app.port(), "ocsp_response_file = \"" + file + "\"\n")));
  std::uint16_t port = daemon.port("https");
  CHECK(stapled(port) == first);
  std::string second = site.response(TestOcspStatus::good, -30);
  site.dir.write("site.ocsp", second);
  REQUIRE(daemon.reload());
  CHECK(stapled(port) == second);
  // The responder was never asked.
  CHECK(site.responder.requests() == 0);

  // --check refuses a response signed by another CA, naming its key.
  TestCertificate other = make_certificate({.common_name = "Other CA", .ca = true});
  site.dir.write("forged.ocsp",
                 make_ocsp_response(site.leaf, site.ca, TestOcspStatus::good, -60, 3600, &other));
  CheckResult r = run_albatross_check(site.dir.write(
      "b.toml", config_text(site, app.port(),
                            "ocsp_response_file = \"" + site.dir.path() + "/forged.ocsp\"\n")));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("listener[0].tls.ocsp_response_file:") != std::string::npos);
}

}  // namespace albatross::testing
