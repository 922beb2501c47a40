#include "albatross/tls/client_cert_headers.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>

#include "support/test_certificates.hpp"
#include "support/test_pki.hpp"

namespace albatross::tls {
namespace {

using config::ClientAuthMode;
using testing::make_certificate;
using testing::parse_certificate;

std::string field(const ClientCertHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers.fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("url_encode keeps ALPHA, DIGIT and -._~ and percent-encodes every other byte") {
  CHECK(url_encode("Az09-._~") == "Az09-._~");
  CHECK(url_encode("-----BEGIN CERTIFICATE-----\nab+/=\n") ==
        "-----BEGIN%20CERTIFICATE-----%0Aab%2B%2F%3D%0A");
  CHECK(url_encode(std::string("\r\0\xff", 3)) == "%0D%00%FF");
}

TEST_CASE("the mTLS field names are recognised in any case, and only they") {
  CHECK(is_client_cert_header("X-Amzn-Mtls-Clientcert"));
  CHECK(is_client_cert_header("x-amzn-mtls-clientcert-leaf"));
  CHECK(is_client_cert_header("X-AMZN-MTLS-CLIENTCERT-SERIAL-NUMBER"));
  CHECK(is_client_cert_header("x-amzn-mtls-clientcert-issuer"));
  CHECK(is_client_cert_header("x-amzn-mtls-clientcert-subject"));
  CHECK(is_client_cert_header("x-amzn-mtls-clientcert-validity"));
  CHECK_FALSE(is_client_cert_header("X-Amzn-Mtls-Clientcert-Other"));
  CHECK_FALSE(is_client_cert_header("X-Amzn-Trace-Id"));
  CHECK_FALSE(is_client_cert_header(""));
}

TEST_CASE("verify: serial, issuer, subject, validity and the leaf, as ALB sends them") {
  testing::TestCertificate ca = make_certificate({.common_name = "Test CA, Inc.", .ca = true});
  testing::TestCertificate leaf = make_certificate({.common_name = "client+1", .issuer = &ca});
  testing::ParsedCertificate parsed = parse_certificate(leaf);
  ClientCertHeaders headers =
      client_cert_headers(parsed.cert.get(), nullptr, ClientAuthMode::verify);
  REQUIRE(headers.fields.size() == 5);
  CHECK(headers.fields[0].first == "X-Amzn-Mtls-Clientcert-Serial-Number");
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(parsed.cert.get()), nullptr);
  char* hex = BN_bn2hex(bn);
  CHECK(field(headers, kClientCertSerialNumber) == hex);
  OPENSSL_free(hex);
  BN_free(bn);
  // RFC 2253: special characters escaped.
  CHECK(field(headers, kClientCertIssuer) == "CN=Test CA\\, Inc.");
  CHECK(field(headers, kClientCertSubject) == "CN=client\\+1");
  std::string validity = field(headers, kClientCertValidity);
  CHECK(validity.starts_with("NotBefore="));
  CHECK(validity.find("Z;NotAfter=") == std::string("NotBefore=2025-01-01T00:00:00").size());
  CHECK(validity.ends_with("Z"));
  std::string first_pem =
      leaf.certificate_pem.substr(0, leaf.certificate_pem.find("-----END CERTIFICATE-----\n") + 26);
  CHECK(field(headers, kClientCertLeaf) == url_encode(first_pem));
  for (const auto& [name, value] : headers.fields) {
    CHECK(value.find_first_of("\r\n") == std::string::npos);
  }
}

TEST_CASE("passthrough: the leaf and the chain sent after it, URL-encoded PEM") {
  testing::TestCertificate ca = make_certificate({.common_name = "CA", .ca = true});
  testing::TestCertificate leaf = make_certificate({.common_name = "c", .issuer = &ca});
  testing::ParsedCertificate parsed_leaf = parse_certificate(leaf);
  testing::ParsedCertificate parsed_ca = parse_certificate(ca);
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, parsed_ca.cert.get());
  ClientCertHeaders headers =
      client_cert_headers(parsed_leaf.cert.get(), chain, ClientAuthMode::passthrough);
  REQUIRE(headers.fields.size() == 1);
  CHECK(headers.fields[0].first == "X-Amzn-Mtls-Clientcert");
  CHECK(headers.fields[0].second == url_encode(leaf.certificate_pem));
  sk_X509_free(chain);
}

TEST_CASE("no fields with client_auth off or without a client certificate") {
  testing::TestCertificate leaf = make_certificate({.common_name = "c"});
  testing::ParsedCertificate parsed = parse_certificate(leaf);
  CHECK(client_cert_headers(parsed.cert.get(), nullptr, ClientAuthMode::off).empty());
  CHECK(client_cert_headers(nullptr, nullptr, ClientAuthMode::verify).empty());
  CHECK(client_cert_headers(nullptr, nullptr, ClientAuthMode::passthrough).empty());
  CHECK(client_cert_headers(static_cast<SSL*>(nullptr), ClientAuthMode::verify).empty());
}

}  // namespace albatross::tls
