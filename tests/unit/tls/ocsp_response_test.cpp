#include "albatross/tls/ocsp_response.hpp"

#include <doctest/doctest.h>

#include <ctime>

#include "albatross/tls/ocsp_stapler.hpp"
#include "support/test_certificates.hpp"
#include "support/test_pki.hpp"

namespace albatross::tls {
namespace {

using testing::make_certificate;
using testing::make_ocsp_response;
using testing::parse_certificate;
using testing::TestCertificate;
using testing::TestOcspStatus;

struct Chain {
  TestCertificate root = make_certificate({.common_name = "Root", .ca = true});
  TestCertificate issuer = make_certificate({.common_name = "Issuer", .ca = true, .issuer = &root});
  TestCertificate responder =
      make_certificate({.common_name = "OCSP responder", .issuer = &issuer, .ocsp_signing = true});
  TestCertificate rogue = make_certificate({.common_name = "Not a responder", .issuer = &issuer});
  TestCertificate leaf = make_certificate(
      {.common_name = "site.test", .issuer = &issuer, .ocsp_url = "http://127.0.0.1:8888/ocsp"});
  TestCertificate other = make_certificate({.common_name = "other.test", .issuer = &issuer});
  testing::ParsedCertificate leaf_x = parse_certificate(leaf);
  testing::ParsedCertificate issuer_x = parse_certificate(issuer);

  OcspCheck check(const std::string& der, std::int64_t now = std::time(nullptr)) {
    return check_ocsp_response(der, leaf_x.cert.get(), issuer_x.cert.get(), nullptr, now);
  }
};

}  // namespace

TEST_CASE("a good response signed by the issuer is stapled with its validity window") {
  Chain c;
  std::int64_t now = std::time(nullptr);
  OcspCheck check = c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::good, -60, 3600));
  REQUIRE(check.status == OcspStatus::good);
  REQUIRE(check.response);
  CHECK(check.response->this_update >= now - 62);
  CHECK(check.response->next_update <= now + 3602);
  CHECK(check.response->valid_at(now));
  CHECK_FALSE(check.response->valid_at(check.response->next_update));
}

TEST_CASE("revoked, unknown, expired, forged and foreign responses are not stapled") {
  Chain c;
  CHECK(c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::revoked)).status ==
        OcspStatus::revoked);
  CHECK(c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::unknown)).status ==
        OcspStatus::unknown);
  OcspCheck expired =
      c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::good, -7200, -60));
  CHECK(expired.status == OcspStatus::invalid);
  CHECK(expired.error.find("expired") != std::string::npos);
  OcspCheck future =
      c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::good, 3600, 7200));
  CHECK(future.status == OcspStatus::invalid);
  // Signed by a certificate the issuer did not delegate OCSP signing to.
  OcspCheck forged =
      c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::good, -60, 3600, &c.rogue));
  CHECK(forged.status == OcspStatus::invalid);
  CHECK_FALSE(forged.response);
  OcspCheck foreign = c.check(make_ocsp_response(c.other, c.issuer, TestOcspStatus::good));
  CHECK(foreign.status == OcspStatus::invalid);
  CHECK(foreign.error.find("another certificate") != std::string::npos);
  CHECK(c.check("garbage").status == OcspStatus::invalid);
  CHECK(c.check("").status == OcspStatus::invalid);
}

TEST_CASE("a delegated responder (OCSPSigning, issued by the issuer) is accepted") {
  Chain c;
  OcspCheck check =
      c.check(make_ocsp_response(c.leaf, c.issuer, TestOcspStatus::good, -60, 3600, &c.responder));
  CHECK_MESSAGE(check.status == OcspStatus::good, check.error);
}

TEST_CASE("the responder URL comes from the AIA, the issuer from the chain") {
  Chain c;
  CHECK(ocsp_responder_url(c.leaf_x.cert.get()) == "http://127.0.0.1:8888/ocsp");
  CHECK(ocsp_responder_url(c.issuer_x.cert.get()).empty());
  testing::ParsedCertificate root = parse_certificate(c.root);
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, root.cert.get());
  CHECK(find_issuer(c.leaf_x.cert.get(), chain) == nullptr);
  sk_X509_push(chain, c.issuer_x.cert.get());
  CHECK(find_issuer(c.leaf_x.cert.get(), chain) == c.issuer_x.cert.get());
  sk_X509_free(chain);
  CHECK_FALSE(ocsp_request_der(c.leaf_x.cert.get(), c.issuer_x.cert.get()).empty());
}

TEST_CASE("refresh: halfway to nextUpdate, a minute before it at the latest; backoff doubles") {
  OcspResponse response;
  response.this_update = 1'000;
  response.next_update = 1'000 + 7'200;
  // Halfway between now (t=1000 s) and nextUpdate.
  CHECK(OcspSchedule::refresh_at_ms(1'000'000, response) == 1'000'000 + 3'600'000);
  // Close to nextUpdate: a minute before it, but never sooner than 10 s from now.
  CHECK(OcspSchedule::refresh_at_ms(8'190'000, response) == 8'190'000 + 10'000);
  response.next_update = 1'000 + 200;
  CHECK(OcspSchedule::refresh_at_ms(1'000'000, response) == 1'000'000 + 100'000);
  using std::chrono::seconds;
  CHECK(OcspSchedule::next_backoff(seconds(0)) == seconds(1));
  CHECK(OcspSchedule::next_backoff(seconds(1)) == seconds(2));
  CHECK(OcspSchedule::next_backoff(seconds(200)) == seconds(300));
  CHECK(OcspSchedule::next_backoff(seconds(300)) == seconds(300));
}

}  // namespace albatross::tls
