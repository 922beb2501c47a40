#include "albatross/tls/ocsp_response.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "albatross/common/str_cat.hpp"

namespace albatross::tls {
namespace {

struct OcspFree {
  void operator()(OCSP_RESPONSE* p) const { OCSP_RESPONSE_free(p); }
  void operator()(OCSP_BASICRESP* p) const { OCSP_BASICRESP_free(p); }
  void operator()(OCSP_CERTID* p) const { OCSP_CERTID_free(p); }
  void operator()(OCSP_REQUEST* p) const { OCSP_REQUEST_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};

std::int64_t to_unix(const ASN1_GENERALIZEDTIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

OcspCheck invalid(std::string error) {
  OcspCheck check;
  check.status = OcspStatus::invalid;
  check.error = std::move(error);
  ERR_clear_error();
  return check;
}

}  // namespace

std::string_view ocsp_status_name(OcspStatus status) {
  switch (status) {
    case OcspStatus::good:
      return "good";
    case OcspStatus::revoked:
      return "revoked";
    case OcspStatus::unknown:
      return "unknown";
    case OcspStatus::invalid:
      break;
  }
  return "invalid";
}

OcspCheck check_ocsp_response(std::string_view der, X509* leaf, X509* issuer,
                              STACK_OF(X509) * extra, std::int64_t now_unix) {
  ERR_clear_error();
  if (leaf == nullptr || issuer == nullptr) return invalid("the issuer certificate is unknown");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<OCSP_RESPONSE, OcspFree> response(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response) return invalid("not a DER OCSP response");
  int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return invalid(str_cat("responder answered ", OCSP_response_status_str(response_status)));
  }
  std::unique_ptr<OCSP_BASICRESP, OcspFree> basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return invalid("not a basic OCSP response");

  // The issuer is the trust anchor (it may be an intermediate: partial chains allowed); the
  // signer is the issuer itself or a responder certificate it issued for OCSP signing.
  std::unique_ptr<X509_STORE, OcspFree> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), issuer);
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509StackPtr certs(sk_X509_new_null());
  sk_X509_push(certs.get(), issuer);
  for (int i = 0; extra != nullptr && i < sk_X509_num(extra); ++i)
    sk_X509_push(certs.get(), sk_X509_value(extra, i));
  int verified = OCSP_basic_verify(basic.get(), certs.get(), store.get(), 0);
  // The stack borrowed its certificates: empty it before it frees them.
  while (sk_X509_num(certs.get()) > 0)
    sk_X509_pop(certs.get());
  if (verified <= 0) {
    return invalid(str_cat("signature not verified: ", take_openssl_error()));
  }

  std::unique_ptr<OCSP_CERTID, OcspFree> id(OCSP_cert_to_id(EVP_sha1(), leaf, issuer));
  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (!id || OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at,
                                   &this_update, &next_update) != 1) {
    return invalid("the response is about another certificate");
  }
  std::int64_t this_unix = to_unix(this_update);
  std::int64_t next_unix = next_update != nullptr ? to_unix(next_update) : this_unix + 3600;
  if (this_unix == 0 || next_unix <= this_unix) return invalid("malformed thisUpdate/nextUpdate");
  auto response_value = std::make_shared<OcspResponse>();
  response_value->der.assign(der.data(), der.size());
  response_value->this_update = this_unix;
  response_value->next_update = next_unix;
  if (!response_value->valid_at(now_unix)) {
    return invalid(now_unix < this_unix ? "thisUpdate is in the future"
                                        : "past its nextUpdate (expired)");
  }
  OcspCheck check;
  ERR_clear_error();
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      check.status = OcspStatus::good;
      check.response = std::move(response_value);
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      check.status = OcspStatus::revoked;
      break;
    default:
      check.status = OcspStatus::unknown;
      break;
  }
  return check;
}

std::string ocsp_responder_url(X509* leaf) {
  std::string url;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(leaf);
  if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
  X509_email_free(urls);  // frees an OPENSSL_STRING stack (X509_get1_ocsp's documented pair)
  return url;
}

X509* find_issuer(X509* leaf, STACK_OF(X509) * chain) {
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* candidate = sk_X509_value(chain, i);
    if (X509_check_issued(candidate, leaf) == X509_V_OK) return candidate;
  }
  return nullptr;
}

std::string ocsp_request_der(X509* leaf, X509* issuer) {
  std::unique_ptr<OCSP_REQUEST, OcspFree> request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
  if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    ERR_clear_error();
    return {};
  }
  unsigned char* out = nullptr;
  int length = i2d_OCSP_REQUEST(request.get(), &out);
  if (length <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return der;
}

}  // namespace albatross::tls
