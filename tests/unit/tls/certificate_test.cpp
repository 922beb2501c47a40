#include "albatross/tls/certificate.hpp"

#include <doctest/doctest.h>

#include <ctime>

#include "support/test_certificates.hpp"

namespace albatross::tls {
namespace {

using testing::CertificateDir;
using testing::CertificateSpec;
using testing::make_certificate;

}  // namespace

TEST_CASE("Certificate::load reads the chain, the key, the names and the validity period") {
  CertificateDir dir;
  auto ca = make_certificate({.common_name = "Test CA", .ca = true});
  auto leaf = make_certificate({.common_name = "Site.Test",
                                .dns_names = {"Site.Test", "*.site.test"},
                                .ecdsa = true,
                                .issuer = &ca});
  auto paths = dir.write("site", leaf);
  Certificate::Error error;
  auto cert = Certificate::load(paths.certificate, paths.private_key, error);
  REQUIRE_MESSAGE(cert, error.message);
  CHECK(cert->key_type() == KeyType::ecdsa);
  CHECK(cert->names() == std::vector<std::string>{"site.test", "*.site.test"});
  CHECK(cert->label() == "Site.Test");
  CHECK(sk_X509_num(cert->chain()) == 1);  // the CA after the leaf
  std::int64_t now = std::time(nullptr);
  CHECK(cert->not_before_unix() < now);
  CHECK(cert->not_after_unix() > now + 29L * 24 * 3600);
  CHECK(cert->not_after_unix() <= now + 30L * 24 * 3600 + 5);
}

TEST_CASE("Certificate::load falls back to the CN for names and to the file name for the label") {
  CertificateDir dir;
  auto paths = dir.write("legacy", make_certificate({.common_name = "Legacy.Test"}));
  Certificate::Error error;
  auto cert = Certificate::load(paths.certificate, paths.private_key, error);
  REQUIRE(cert);
  CHECK(cert->key_type() == KeyType::rsa);
  CHECK(cert->names() == std::vector<std::string>{"legacy.test"});

  auto unnamed = make_certificate({.common_name = ""});
  auto unnamed_paths = dir.write("unnamed", unnamed);
  cert = Certificate::load(unnamed_paths.certificate, unnamed_paths.private_key, error);
  REQUIRE(cert);
  CHECK(cert->label() == "unnamed.pem");
}

TEST_CASE("Certificate::load refuses what must not be served, naming the file at fault") {
  CertificateDir dir;
  auto site = make_certificate({.dns_names = {"site.test"}});
  auto other = make_certificate({.dns_names = {"other.test"}});
  auto paths = dir.write("site", site);
  auto other_paths = dir.write("other", other);
  Certificate::Error error;

  SUBCASE("a key that does not match the certificate") {
    CHECK_FALSE(Certificate::load(paths.certificate, other_paths.private_key, error));
    CHECK(error.in_private_key);
    CHECK(error.message.find("does not match") != std::string::npos);
  }
  SUBCASE("a missing certificate file") {
    CHECK_FALSE(Certificate::load(dir.path() + "/missing.pem", paths.private_key, error));
    CHECK_FALSE(error.in_private_key);
    CHECK(error.message.find("missing.pem") != std::string::npos);
  }
  SUBCASE("a directory instead of a file") {
    CHECK_FALSE(Certificate::load(dir.path(), paths.private_key, error));
    CHECK_FALSE(error.in_private_key);
  }
  SUBCASE("a malformed certificate") {
    std::string bad = site.certificate_pem;
    bad[bad.size() / 2] = '!';
    auto file = dir.write("bad.pem", bad);
    CHECK_FALSE(Certificate::load(file, paths.private_key, error));
    CHECK_FALSE(error.in_private_key);
  }
  SUBCASE("a file without any PEM certificate") {
    auto file = dir.write("empty.pem", "not a certificate\n");
    CHECK_FALSE(Certificate::load(file, paths.private_key, error));
    CHECK(error.message.find("no PEM certificate") != std::string::npos);
  }
  SUBCASE("a malformed key") {
    auto file = dir.write("bad.key",
                          "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
    CHECK_FALSE(Certificate::load(paths.certificate, file, error));
    CHECK(error.in_private_key);
  }
  SUBCASE("a key readable by group") {
    auto file = dir.write("group.key", site.private_key_pem, 0640);
    CHECK_FALSE(Certificate::load(paths.certificate, file, error));
    CHECK(error.in_private_key);
    CHECK(error.message.find("0640") != std::string::npos);
  }
  SUBCASE("a key readable by others") {
    auto file = dir.write("world.key", site.private_key_pem, 0604);
    CHECK_FALSE(Certificate::load(paths.certificate, file, error));
    CHECK(error.in_private_key);
  }
  SUBCASE("an Ed25519 key (ALB does not serve them)") {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    REQUIRE(key != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    auto file = dir.write("ed.key", std::string(data, static_cast<std::size_t>(size)), 0600);
    BIO_free(bio);
    EVP_PKEY_free(key);
    CHECK_FALSE(Certificate::load(paths.certificate, file, error));
    CHECK(error.in_private_key);
    CHECK(error.message.find("unsupported key type") != std::string::npos);
  }
}

}  // namespace albatross::tls
