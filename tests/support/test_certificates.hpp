#pragma once

// Test-only certificates, made at test time with the OpenSSL API (no key material is committed).
// Header-only so that unit and integration tests share it.

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace albatross::testing {

struct TestCertificate {
  std::string certificate_pem;  // the leaf, then its issuers when signed by a test CA
  std::string private_key_pem;
};

struct CertificateSpec {
  std::string common_name = "test";
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;
  bool ecdsa = false;                        // P-256; RSA-2048 otherwise
  long not_before_seconds = -3600;           // relative to now
  long not_after_seconds = 30L * 24 * 3600;  // relative to now
  bool ca = false;                           // basicConstraints CA:TRUE
  const TestCertificate* issuer = nullptr;   // signed by this CA; self-signed when null
  std::string ocsp_url;                      // an AIA OCSP responder URL when not empty
  bool ocsp_signing = false;                 // extendedKeyUsage OCSPSigning (a delegated responder)
};

namespace cert_detail {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("X509V3_EXT_conf_nid failed");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace cert_detail

inline TestCertificate make_certificate(const CertificateSpec& spec) {
  using cert_detail::Free;
  std::unique_ptr<EVP_PKEY, Free> key(spec.ecdsa ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("key generation failed");
  std::unique_ptr<X509, Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_seconds);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);

  std::unique_ptr<X509, Free> issuer_cert;
  std::unique_ptr<EVP_PKEY, Free> issuer_key;
  if (spec.issuer != nullptr) {
    std::unique_ptr<BIO, Free> bio(
        BIO_new_mem_buf(spec.issuer->certificate_pem.data(),
                        static_cast<int>(spec.issuer->certificate_pem.size())));
    issuer_cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    bio.reset(BIO_new_mem_buf(spec.issuer->private_key_pem.data(),
                              static_cast<int>(spec.issuer->private_key_pem.size())));
    issuer_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert || !issuer_key) throw std::runtime_error("bad issuer");
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get()));
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  X509* signer = issuer_cert ? issuer_cert.get() : cert.get();
  cert_detail::add_extension(cert.get(), signer, NID_basic_constraints,
                             spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (spec.ca)
    cert_detail::add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  std::string sans;
  for (const std::string& dns : spec.dns_names)
    sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
  for (const std::string& ip : spec.ip_addresses)
    sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  if (!sans.empty()) cert_detail::add_extension(cert.get(), signer, NID_subject_alt_name, sans);
  cert_detail::add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (!spec.ocsp_url.empty())
    cert_detail::add_extension(cert.get(), signer, NID_info_access, "OCSP;URI:" + spec.ocsp_url);
  if (spec.ocsp_signing)
    cert_detail::add_extension(cert.get(), signer, NID_ext_key_usage, "OCSPSigning");
  if (X509_sign(cert.get(), issuer_key ? issuer_key.get() : key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("X509_sign failed");

  TestCertificate out;
  std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  out.certificate_pem = cert_detail::bio_text(bio.get());
  if (spec.issuer != nullptr) out.certificate_pem += spec.issuer->certificate_pem;
  bio.reset(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.private_key_pem = cert_detail::bio_text(bio.get());
  return out;
}

// A private temporary directory for certificate and key files, removed with its content.
class CertificateDir {
 public:
  struct Paths {
    std::string certificate;
    std::string private_key;
  };

  CertificateDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "albatross_tls_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~CertificateDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  CertificateDir(const CertificateDir&) = delete;
  CertificateDir& operator=(const CertificateDir&) = delete;

  // Writes `content` to NAME with exactly `mode` (fchmod: the umask does not interfere).
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0644) {
    std::string file = (path_ / name).string();
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + file);
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
              ::fchmod(fd, mode) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + file);
    return file;
  }

  // NAME.pem (0644) and NAME.key (0600).
  Paths write(const std::string& name, const TestCertificate& cert) {
    return {write(name + ".pem", cert.certificate_pem),
            write(name + ".key", cert.private_key_pem, 0600)};
  }

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace albatross::testing
