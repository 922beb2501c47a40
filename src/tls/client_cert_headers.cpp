#include "albatross/tls/client_cert_headers.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>

#include <ctime>

#include "albatross/common/ascii.hpp"
#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bio_text(bio.get());
}

std::string serial_hex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

// RFC 2253 text; ESC_CTRL turns control characters into \XX escapes, so no CR or LF survives.
std::string rfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  std::string text = bio_text(bio.get());
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') continue;  // belt and braces: never a field break
    out.push_back(c);
  }
  return out;
}

std::string iso8601(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return {};
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

bool is_client_cert_header(std::string_view name) {
  for (std::string_view known : kClientCertHeaderNames) {
    if (ascii::iequals(name, known)) return true;
  }
  return false;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

ClientCertHeaders client_cert_headers(X509* leaf, STACK_OF(X509) * chain,
                                      config::ClientAuthMode mode) {
  ClientCertHeaders out;
  if (leaf == nullptr || mode == config::ClientAuthMode::off) return out;
  if (mode == config::ClientAuthMode::verify) {
    out.fields.reserve(5);
    out.fields.emplace_back(kClientCertSerialNumber, serial_hex(leaf));
    out.fields.emplace_back(kClientCertIssuer, rfc2253(X509_get_issuer_name(leaf)));
    out.fields.emplace_back(kClientCertSubject, rfc2253(X509_get_subject_name(leaf)));
    out.fields.emplace_back(kClientCertValidity,
                            "NotBefore=" + iso8601(X509_get0_notBefore(leaf)) +
                                ";NotAfter=" + iso8601(X509_get0_notAfter(leaf)));
    out.fields.emplace_back(kClientCertLeaf, url_encode(pem_of(leaf)));
    return out;
  }
  std::string value = url_encode(pem_of(leaf));
  int count = chain == nullptr ? 0 : sk_X509_num(chain);
  for (int i = 0; i < count; ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (X509_cmp(cert, leaf) == 0) continue;  // a client-side chain may repeat the leaf
    std::string next = url_encode(pem_of(cert));
    if (value.size() + next.size() > kMaxClientCertHeaderSize) break;
    value += next;
  }
  out.fields.emplace_back(kClientCert, std::move(value));
  return out;
}

ClientCertHeaders client_cert_headers(SSL* ssl, config::ClientAuthMode mode) {
  if (ssl == nullptr || mode == config::ClientAuthMode::off) return {};
  // Server side: the chain holds the certificates sent after the leaf (OpenSSL keeps the leaf
  // apart); after resumption only the leaf is known.
  return client_cert_headers(SSL_get0_peer_certificate(ssl), SSL_get_peer_cert_chain(ssl), mode);
}

}  // namespace albatross::tls
