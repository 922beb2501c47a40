#include "albatross/tls/certificate.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "albatross/common/ascii.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/tls/file_reader.hpp"

namespace albatross::tls {
namespace {

std::string lower(std::string text) {
  for (char& ch : text)
    ch = ascii::to_lower(ch);
  return text;
}

// Never prompts for a passphrase: encrypted keys are refused instead.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

std::int64_t to_unix(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string subject_cn(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     static_cast<std::size_t>(ASN1_STRING_length(dns)));
    names.push_back(lower(std::move(text)));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

std::string file_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<Certificate> Certificate::load(const std::string& certificate_path,
                                             const std::string& private_key_path, Error& error) {
  ERR_clear_error();
  Certificate c;
  c.path_ = certificate_path;
  std::string text;
  error.in_private_key = false;
  if (!read_small_file(certificate_path, false, text, error.message)) return std::nullopt;
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  c.chain_.reset(sk_X509_new_null());
  for (;;) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
    if (cert == nullptr) {
      unsigned long e = ERR_peek_last_error();
      bool end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
      if (!end || !c.leaf_) {
        error.message = c.leaf_ ? str_cat("malformed certificate in ", certificate_path, ": ",
                                          take_openssl_error())
                                : str_cat("no PEM certificate in ", certificate_path);
        ERR_clear_error();
        return std::nullopt;
      }
      ERR_clear_error();
      break;
    }
    if (!c.leaf_) {
      c.leaf_.reset(cert);
    } else {
      sk_X509_push(c.chain_.get(), cert);
    }
  }

  error.in_private_key = true;
  if (!read_small_file(private_key_path, true, text, error.message)) return std::nullopt;
  bio.reset(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  c.key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  OPENSSL_cleanse(text.data(), text.size());
  if (!c.key_) {
    ERR_clear_error();
    error.message = str_cat("no usable PEM private key in ", private_key_path,
                            " (malformed, or encrypted with a passphrase)");
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(c.key_.get(), "RSA")) {
    c.key_type_ = KeyType::rsa;
  } else if (EVP_PKEY_is_a(c.key_.get(), "EC")) {
    c.key_type_ = KeyType::ecdsa;
  } else {
    error.message = str_cat("unsupported key type ", EVP_PKEY_get0_type_name(c.key_.get()), " in ",
                            private_key_path, " (RSA or ECDSA)");
    return std::nullopt;
  }
  if (X509_check_private_key(c.leaf_.get(), c.key_.get()) != 1) {
    ERR_clear_error();
    error.message = str_cat("private key ", private_key_path, " does not match the certificate in ",
                            certificate_path);
    return std::nullopt;
  }

  c.names_ = dns_names(c.leaf_.get());
  std::string cn = subject_cn(c.leaf_.get());
  if (c.names_.empty() && !cn.empty()) c.names_.push_back(lower(cn));
  c.label_ = cn.empty() ? file_name(certificate_path) : cn;
  c.not_before_ = to_unix(X509_get0_notBefore(c.leaf_.get()));
  c.not_after_ = to_unix(X509_get0_notAfter(c.leaf_.get()));
  return c;
}

}  // namespace albatross::tls
