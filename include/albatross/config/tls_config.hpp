#pragma once

#include <string>
#include <vector>

#include "albatross/common/duration.hpp"

namespace albatross::config {

// One certificate of a TLS listener: a PEM chain (leaf first) and its PEM private key.
// `ocsp_response_file`: a DER OCSP response for this certificate, stapled instead of one fetched
// from its responder (needs the listener's ocsp_stapling; re-read on every reload).
struct TlsCertificateConfig {
  std::string certificate;
  std::string private_key;
  std::string ocsp_response_file;
};

// Mutual TLS (ALB's mTLS): off; verify (a client certificate is required and checked against
// the trust store and its CRLs); passthrough (any client certificate is accepted and passed on
// to the targets).
enum class ClientAuthMode { off, verify, passthrough };

// [listener.tls]: TLS termination on a listener. `certificate`/`private_key` are the default
// certificate (clients without SNI, or whose name matches no certificate); `sni` lists extra
// certificates chosen by the names they carry. `policy` is one of ALB's security policy names
// (alb-behaviour.md §6); the name is resolved when the snapshot is built.
struct TlsConfig {
  static constexpr std::string_view kDefaultPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06";

  TlsCertificateConfig default_certificate;
  std::vector<TlsCertificateConfig> sni;
  std::string policy{kDefaultPolicy};
  Duration handshake_timeout = std::chrono::seconds(10);
  ClientAuthMode client_auth = ClientAuthMode::off;
  std::string trust_store;  // PEM CA certificates, and CRLs; required by verify
  std::string crl_file;     // PEM CRLs, in addition to those in the trust store
  // Staples an OCSP response to every certificate that has one: its ocsp_response_file, else a
  // response fetched from the responder its AIA names. Off by default: it makes albatross
  // connect to the certificate authority's responder.
  bool ocsp_stapling = false;
};

}  // namespace albatross::config
