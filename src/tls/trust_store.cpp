#include "albatross/tls/trust_store.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <ctime>

#include "albatross/common/str_cat.hpp"
#include "albatross/tls/file_reader.hpp"

namespace albatross::tls {
namespace {

struct InfoStackFree {
  void operator()(STACK_OF(X509_INFO) * p) const { sk_X509_INFO_pop_free(p, X509_INFO_free); }
};
using InfoStackPtr = std::unique_ptr<STACK_OF(X509_INFO), InfoStackFree>;

// Every certificate and CRL of a PEM text; nullptr when the PEM is malformed.
InfoStackPtr read_pem_items(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  InfoStackPtr items(PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr));
  return items;
}

std::string issuer_text(X509_CRL* crl) {
  char text[256];
  X509_NAME_oneline(X509_CRL_get_issuer(crl), text, sizeof text);
  return text;
}

}  // namespace

std::optional<TrustStore> TrustStore::load(const std::string& trust_store_path,
                                           const std::string& crl_path, std::int64_t now_unix,
                                           Error& error, std::vector<std::string>& warnings) {
  ERR_clear_error();
  TrustStore t;
  t.store_.reset(X509_STORE_new(), StoreFree{});
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  auto add_file = [&](const std::string& path, bool crl_file) {
    error.in_crl_file = crl_file;
    std::string text;
    if (!read_small_file(path, false, text, error.message)) return false;
    EVP_DigestUpdate(md, text.data(), text.size());
    InfoStackPtr items = read_pem_items(text);
    if (!items) {
      error.message = str_cat("malformed PEM in ", path, ": ", take_openssl_error());
      return false;
    }
    std::size_t cas = 0;
    std::size_t crls = 0;
    for (int i = 0; i < sk_X509_INFO_num(items.get()); ++i) {
      X509_INFO* item = sk_X509_INFO_value(items.get(), i);
      if (item->x509 != nullptr) {
        if (crl_file) {
          error.message = str_cat(path,
                                  " holds a certificate: put CA certificates in the trust "
                                  "store, CRLs only here");
          return false;
        }
        X509_STORE_add_cert(t.store_.get(), item->x509);  // a duplicate is ignored
        ++cas;
      }
      if (item->crl != nullptr) {
        X509_STORE_add_crl(t.store_.get(), item->crl);
        ++crls;
        const ASN1_TIME* next = X509_CRL_get0_nextUpdate(item->crl);
        std::time_t now = static_cast<std::time_t>(now_unix);
        if (next != nullptr && X509_cmp_time(next, &now) < 0) {
          warnings.push_back(str_cat("the CRL of ", issuer_text(item->crl), " in ", path,
                                     " is past its nextUpdate: client certificates it covers "
                                     "are refused until it is renewed"));
        }
      }
    }
    ERR_clear_error();
    if (!crl_file && cas == 0) {
      error.message = str_cat("no PEM CA certificate in ", path);
      return false;
    }
    if (crl_file && crls == 0) {
      error.message = str_cat("no PEM CRL (X509 CRL) in ", path);
      return false;
    }
    t.ca_count_ += cas;
    t.crl_count_ += crls;
    return true;
  };
  bool ok = add_file(trust_store_path, false) && (crl_path.empty() || add_file(crl_path, true));
  unsigned int length = 0;
  EVP_DigestFinal_ex(md, t.digest_.data(), &length);
  EVP_MD_CTX_free(md);
  if (!ok) return std::nullopt;
  if (t.crl_count_ > 0) {
    // Every certificate of the chain is checked; ServerContext's verify callback lets a missing
    // CRL pass (an issuer without a CRL here is not checked).
    X509_STORE_set_flags(t.store_.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  return t;
}

}  // namespace albatross::tls
