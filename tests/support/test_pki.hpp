#pragma once

// Test-only PKI pieces made with the OpenSSL API at test time: CRLs and OCSP responses for the
// certificates of test_certificates.hpp. Header-only so that unit and integration tests share it.

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_certificates.hpp"

namespace albatross::testing {

namespace pki_detail {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(OCSP_BASICRESP* p) const { OCSP_BASICRESP_free(p); }
  void operator()(OCSP_RESPONSE* p) const { OCSP_RESPONSE_free(p); }
  void operator()(OCSP_CERTID* p) const { OCSP_CERTID_free(p); }
};

}  // namespace pki_detail

// The first certificate and the private key of a TestCertificate, parsed.
struct ParsedCertificate {
  std::unique_ptr<X509, pki_detail::Free> cert;
  std::unique_ptr<EVP_PKEY, pki_detail::Free> key;
};

inline ParsedCertificate parse_certificate(const TestCertificate& c) {
  ParsedCertificate out;
  std::unique_ptr<BIO, pki_detail::Free> bio(
      BIO_new_mem_buf(c.certificate_pem.data(), static_cast<int>(c.certificate_pem.size())));
  out.cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!c.private_key_pem.empty()) {
    bio.reset(
        BIO_new_mem_buf(c.private_key_pem.data(), static_cast<int>(c.private_key_pem.size())));
    out.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!out.cert) throw std::runtime_error("parse_certificate: bad PEM");
  return out;
}

// A PEM CRL issued by `ca` listing `revoked` (their leaf certificates), valid from an hour ago
// until `next_update_seconds` from now (negative: already past).
inline std::string make_crl(const TestCertificate& ca,
                            const std::vector<const TestCertificate*>& revoked,
                            long next_update_seconds = 24 * 3600) {
  ParsedCertificate issuer = parse_certificate(ca);
  std::unique_ptr<X509_CRL, pki_detail::Free> crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get()));
  ASN1_TIME* last = X509_gmtime_adj(nullptr, -3600);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, next_update_seconds);
  X509_CRL_set1_lastUpdate(crl.get(), last);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (const TestCertificate* r : revoked) {
    ParsedCertificate leaf = parse_certificate(*r);
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(leaf.cert.get()));
    X509_REVOKED_set_revocationDate(entry, last);
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("X509_CRL_sign failed");
  std::unique_ptr<BIO, pki_detail::Free> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl.get());
  return cert_detail::bio_text(bio.get());
}

enum class TestOcspStatus { good, revoked, unknown };

// A DER OCSP response about `leaf` (issued by `issuer`), signed by `signer` (the issuer itself
// by default), thisUpdate `this_update_seconds` from now and nextUpdate `next_update_seconds`
// from now.
inline std::string make_ocsp_response(const TestCertificate& leaf, const TestCertificate& issuer,
                                      TestOcspStatus status, long this_update_seconds = -60,
                                      long next_update_seconds = 3600,
                                      const TestCertificate* signer = nullptr) {
  using pki_detail::Free;
  ParsedCertificate subject = parse_certificate(leaf);
  ParsedCertificate ca = parse_certificate(issuer);
  ParsedCertificate sign = parse_certificate(signer != nullptr ? *signer : issuer);
  std::unique_ptr<OCSP_CERTID, Free> id(
      OCSP_cert_to_id(EVP_sha1(), subject.cert.get(), ca.cert.get()));
  std::unique_ptr<OCSP_BASICRESP, Free> basic(OCSP_BASICRESP_new());
  ASN1_TIME* this_update = X509_gmtime_adj(nullptr, this_update_seconds);
  ASN1_TIME* next_update = X509_gmtime_adj(nullptr, next_update_seconds);
  ASN1_TIME* revoked_at = X509_gmtime_adj(nullptr, -7200);
  int code = status == TestOcspStatus::good      ? V_OCSP_CERTSTATUS_GOOD
             : status == TestOcspStatus::revoked ? V_OCSP_CERTSTATUS_REVOKED
                                                 : V_OCSP_CERTSTATUS_UNKNOWN;
  OCSP_basic_add1_status(basic.get(), id.get(), code,
                         status == TestOcspStatus::revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0,
                         status == TestOcspStatus::revoked ? revoked_at : nullptr, this_update,
                         next_update);
  ASN1_TIME_free(this_update);
  ASN1_TIME_free(next_update);
  ASN1_TIME_free(revoked_at);
  if (OCSP_basic_sign(basic.get(), sign.cert.get(), sign.key.get(), EVP_sha256(), nullptr, 0) != 1)
    throw std::runtime_error("OCSP_basic_sign failed");
  std::unique_ptr<OCSP_RESPONSE, Free> response(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  unsigned char* der = nullptr;
  int length = i2d_OCSP_RESPONSE(response.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace albatross::testing
