#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "albatross/config/tls_config.hpp"

namespace albatross::tls {

// ALB's mTLS request fields, in ALB's spelling. verify sends the first five, computed from the
// verified leaf; passthrough sends the last, the chain the client presented.
inline constexpr std::string_view kClientCertSerialNumber = "X-Amzn-Mtls-Clientcert-Serial-Number";
inline constexpr std::string_view kClientCertIssuer = "X-Amzn-Mtls-Clientcert-Issuer";
inline constexpr std::string_view kClientCertSubject = "X-Amzn-Mtls-Clientcert-Subject";
inline constexpr std::string_view kClientCertValidity = "X-Amzn-Mtls-Clientcert-Validity";
inline constexpr std::string_view kClientCertLeaf = "X-Amzn-Mtls-Clientcert-Leaf";
inline constexpr std::string_view kClientCert = "X-Amzn-Mtls-Clientcert";
inline constexpr std::array<std::string_view, 6> kClientCertHeaderNames = {
    kClientCertSerialNumber, kClientCertIssuer, kClientCertSubject,
    kClientCertValidity,     kClientCertLeaf,   kClientCert};

// True when `name` (any case) is one of kClientCertHeaderNames. Requests must lose every such
// field the client sent, on every listener, whatever its client_auth: only albatross sets them.
bool is_client_cert_header(std::string_view name);

// A passthrough chain is cut (never below the leaf) so that its field stays within this size.
inline constexpr std::size_t kMaxClientCertHeaderSize = 32 * 1024;

// The fields albatross adds to every request of one client connection: computed once, after the
// handshake, and sent with each of its requests. Empty when client_auth is off or the client
// sent no certificate (passthrough). Values hold no CR, LF or NUL (URL-encoded PEM, RFC 2253
// names with control characters escaped).
struct ClientCertHeaders {
  std::vector<std::pair<std::string_view, std::string>> fields;  // name, value

  bool empty() const { return fields.empty(); }
};

// From a completed server handshake: the peer's leaf and the chain it sent. Thread: the one
// that owns `ssl`.
ClientCertHeaders client_cert_headers(SSL* ssl, config::ClientAuthMode mode);

// The pure core: `leaf` (nullptr: no certificate) and the certificates the client sent after it
// (nullptr or empty allowed). verify:
//   Serial-Number  the leaf's serial number, upper-case hex ("0A3F...")
//   Issuer         the issuer's distinguished name, RFC 2253 ("CN=Test CA,O=Example")
//   Subject        the subject's distinguished name, RFC 2253
//   Validity       "NotBefore=2025-01-01T00:00:00Z;NotAfter=2026-01-01T00:00:00Z"
//   Leaf           the leaf as URL-encoded PEM
// passthrough:
//   Clientcert     the leaf then the rest of the chain, as URL-encoded PEM
ClientCertHeaders client_cert_headers(X509* leaf, STACK_OF(X509) * chain,
                                      config::ClientAuthMode mode);

// Percent-encodes every byte but ALPHA, DIGIT and "-._~" (as ALB encodes the PEM it sends).
std::string url_encode(std::string_view text);

}  // namespace albatross::tls
