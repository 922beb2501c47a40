#include "albatross/tls/client_context.hpp"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include "albatross/common/str_cat.hpp"
#include "albatross/tls/security_policy.hpp"

namespace albatross::tls {
namespace {

constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

bool is_ip_literal(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

std::shared_ptr<const ClientContext> ClientContext::create(bool verify, const std::string& ca_file,
                                                           std::string& error) {
  std::shared_ptr<ClientContext> client(new ClientContext());
  client->verify_ = verify;
  client->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = client->ctx_.get();
  if (ctx == nullptr) {
    error = str_cat("cannot create a TLS context: ", take_openssl_error());
    return nullptr;
  }
  const SecurityPolicy& policy = target_security_policy();
  if (verify) {
    // An authenticated connection is worth nothing over TLS 1.0/1.1 or SHA-1 signatures.
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(ctx, policy.min_version);
    SSL_CTX_set_security_level(ctx, policy.security_level);
  }
  SSL_CTX_set_max_proto_version(ctx, policy.max_version);
  if (SSL_CTX_set_cipher_list(ctx, std::string(policy.ciphers).c_str()) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, std::string(policy.ciphersuites).c_str()) != 1) {
    error = str_cat("cannot apply ", policy.name, ": ", take_openssl_error());
    return nullptr;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  if (verify) {
    int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                 : SSL_CTX_load_verify_file(ctx, ca_file.c_str());
    if (loaded != 1) {
      error =
          ca_file.empty()
              ? str_cat("cannot load the system trust store: ", take_openssl_error())
              : str_cat("cannot load CA certificates from ", ca_file, ": ", take_openssl_error());
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return client;
}

SslPtr ClientContext::new_session(const std::string& host) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return ssl;
  bool ip = is_ip_literal(host);
  if (!ip) SSL_set_tlsext_host_name(ssl.get(), host.c_str());  // SNI never carries an address
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl.get(), host.c_str());
    }
  }
  return ssl;
}

}  // namespace albatross::tls
