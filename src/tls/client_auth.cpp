#include "albatross/tls/client_auth.hpp"

#include <openssl/x509_vfy.h>

namespace albatross::tls {

std::string_view client_auth_failure_name(ClientAuthFailure failure) {
  switch (failure) {
    case ClientAuthFailure::missing:
      return "missing";
    case ClientAuthFailure::expired:
      return "expired";
    case ClientAuthFailure::not_yet_valid:
      return "not_yet_valid";
    case ClientAuthFailure::unknown_ca:
      return "unknown_ca";
    case ClientAuthFailure::revoked:
      return "revoked";
    case ClientAuthFailure::crl:
      return "crl";
    case ClientAuthFailure::invalid:
      break;
  }
  return "invalid";
}

ClientAuthFailure classify_verify_error(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ClientAuthFailure::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ClientAuthFailure::not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return ClientAuthFailure::unknown_ca;
    case X509_V_ERR_CERT_REVOKED:
      return ClientAuthFailure::revoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
      return ClientAuthFailure::crl;
    default:
      return ClientAuthFailure::invalid;
  }
}

bool FailureLogLimiter::admit(ClientAuthFailure reason, std::int64_t now_ms,
                              std::uint64_t& skipped) {
  auto r = static_cast<std::size_t>(reason);
  std::int64_t next = next_ms_[r].load(std::memory_order_relaxed);
  std::int64_t interval_ms = std::chrono::milliseconds(kInterval).count();
  if (now_ms < next ||
      !next_ms_[r].compare_exchange_strong(next, now_ms + interval_ms, std::memory_order_relaxed)) {
    skipped_[r].fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  skipped = skipped_[r].exchange(0, std::memory_order_relaxed);
  return true;
}

}  // namespace albatross::tls
