#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {

// An OCSP response (RFC 6960) checked for one certificate: the DER bytes served in handshakes,
// and the window it is valid in. Only responses that passed check_ocsp_response() with status
// good exist as OcspResponse. Immutable. Thread: any.
struct OcspResponse {
  std::string der;
  std::int64_t this_update = 0;  // Unix seconds
  std::int64_t next_update = 0;  // Unix seconds; thisUpdate + 1h when the responder sent none

  bool valid_at(std::int64_t now_unix) const {
    return now_unix >= this_update - kClockSkew && now_unix < next_update;
  }
  // Responders' clocks run ahead of ours by up to this much.
  static constexpr std::int64_t kClockSkew = 300;
};

// What check_ocsp_response() found.
enum class OcspStatus : std::uint8_t {
  good,
  revoked,
  unknown,  // the responder does not know the certificate
  invalid,  // not a successful response, a bad signature, another certificate, outside its window
};
std::string_view ocsp_status_name(OcspStatus status);

struct OcspCheck {
  OcspStatus status = OcspStatus::invalid;
  std::string error;                             // why, for invalid (one line)
  std::shared_ptr<const OcspResponse> response;  // set for good only
};

// Verifies `der` for `leaf` issued by `issuer`: a successful basic response, signed by the
// issuer or by a responder certificate the issuer delegated to (id-kp-OCSPSigning; it may come
// from `extra`, the certificate file's chain), a single response for the leaf's certificate id,
// and thisUpdate/nextUpdate around `now_unix` (5 minutes of clock skew allowed).
OcspCheck check_ocsp_response(std::string_view der, X509* leaf, X509* issuer,
                              STACK_OF(X509) * extra, std::int64_t now_unix);

// The first OCSP responder URL of the leaf's Authority Information Access, or "".
std::string ocsp_responder_url(X509* leaf);

// The certificate of `chain` that issued `leaf`, or nullptr (the chain file lacks the issuer).
X509* find_issuer(X509* leaf, STACK_OF(X509) * chain);

// A DER OCSP request for `leaf` (SHA-1 certificate id, as every responder accepts), no nonce
// (responses are cached and stapled to many handshakes). "" when OpenSSL fails.
std::string ocsp_request_der(X509* leaf, X509* issuer);

}  // namespace albatross::tls
