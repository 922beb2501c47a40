#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/duration.hpp"
#include "albatross/config/tls_config.hpp"
#include "albatross/tls/certificate.hpp"
#include "albatross/tls/client_auth.hpp"
#include "albatross/tls/ocsp_response.hpp"
#include "albatross/tls/ocsp_stapler.hpp"
#include "albatross/tls/openssl_handles.hpp"
#include "albatross/tls/security_policy.hpp"
#include "albatross/tls/ticket_key_ring.hpp"
#include "albatross/tls/trust_store.hpp"

namespace albatross::tls {

// The server side of one TLS listener: its certificates and one SSL_CTX per distinct set of
// certificates a client may be served (at most one RSA and one ECDSA certificate each; OpenSSL
// picks between them per client, ECDSA first when the client supports it). The SNI callback
// moves a connection to the context for its server name: exact name first, then the wildcard
// of its parent domain, else the default certificate's context. Every context has the same
// policy, ALPN (http/1.1) and session-ticket keys. Built on the control thread with the
// snapshot, immutable afterwards; handshakes on any worker use it. A handshake must keep its
// ServerContext alive (sessions pin their ListenerContext, which owns it).
//
// Mutual TLS (client_auth): verify requires a client certificate that verifies against the
// trust store and its CRLs, refusing the handshake otherwise (counted by reason, logged at most
// once per reason per 10 s); passthrough asks for a certificate and takes any (or none), and
// does not resume sessions (a resumed session no longer knows the chain it forwards). Both
// give sessions a context id derived from the mode and the trust store's content, so a ticket
// from before a reload that changed either is not resumed.
// OCSP stapling (ocsp_stapling): each certificate's response, from its ocsp_response_file
// (read and checked here) or from the OcspStapler; stapled only while valid.
class ServerContext {
 public:
  // A problem found while building, with the key path of the setting at fault.
  struct Problem {
    std::string key_path;
    std::string message;
  };

  // Loads every certificate of `config` and builds the contexts. `key_path` is the path of the
  // [listener.tls] table ("listener[0].tls"). On failure returns nullptr with every problem in
  // `errors`. Certificates outside their validity period are served, with a line in
  // `warnings`: refusing them would turn a renewal that lands late into an outage of every
  // listener of the process at the next restart or reload, while the expiry metric and the
  // warning make the lapse visible.
  //
  // `services` may be left empty (--check, unit tests): no OCSP fetching, refused client
  // certificates logged but not counted.
  struct Services {
    std::string listener;  // the listener's name, in log lines
    std::shared_ptr<OcspStapler> ocsp;
    // Counts one refused client certificate; called on workers, during handshakes.
    std::function<void(ClientAuthFailure)> count_client_auth_failure;
  };
  static std::shared_ptr<const ServerContext> create(
      const config::TlsConfig& config, const std::string& key_path,
      std::shared_ptr<const TicketKeyRing> tickets, std::int64_t now_unix,
      std::vector<Problem>& errors, std::vector<std::string>& warnings, Services services = {});

  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // The context new connections start on (SSL_new(native())).
  SSL_CTX* native() const { return default_; }
  const SecurityPolicy& policy() const { return *policy_; }
  Duration handshake_timeout() const { return handshake_timeout_; }
  // [0] is the default certificate, then the sni entries in order.
  std::span<const Certificate> certificates() const { return certificates_; }
  // The context that serves `server_name` (any case, a trailing dot allowed).
  SSL_CTX* select(std::string_view server_name) const;

  config::ClientAuthMode client_auth() const { return client_auth_; }
  const TrustStore* trust_store() const { return trust_store_ ? &*trust_store_ : nullptr; }
  // The OCSP response stapled for certificates()[index] at `now_unix`, or nullptr (stapling
  // off, none fetched yet, or the one held expired).
  std::shared_ptr<const OcspResponse> staple(std::size_t index, std::int64_t now_unix) const;
  // Whether certificates()[index]'s response comes from its ocsp_response_file.
  bool staple_from_file(std::size_t index) const;

 private:
  ServerContext() = default;
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  static int on_verify(int ok, X509_STORE_CTX* store);
  static void on_info(const SSL* ssl, int where, int value);
  static int on_status_request(SSL* ssl, void* arg);
  static const ServerContext* of(const SSL* ssl);
  void refuse_client(ClientAuthFailure reason, const std::string& detail) const;

  const SecurityPolicy* policy_ = nullptr;
  Duration handshake_timeout_{};
  std::vector<Certificate> certificates_;
  std::shared_ptr<const TicketKeyRing> tickets_;
  std::vector<SslCtxPtr> contexts_;  // owns every context below
  SSL_CTX* default_ = nullptr;
  std::map<std::string, SSL_CTX*, std::less<>> exact_;     // "api.example.com"
  std::map<std::string, SSL_CTX*, std::less<>> wildcard_;  // "example.com" for *.example.com

  config::ClientAuthMode client_auth_ = config::ClientAuthMode::off;
  std::optional<TrustStore> trust_store_;
  Services services_;
  mutable FailureLogLimiter failure_log_;
  // By certificate, when ocsp_stapling is on: the file's response, or the stapler's entry.
  struct Stapling {
    std::shared_ptr<const OcspResponse> from_file;
    std::shared_ptr<OcspStapler::Entry> fetched;
  };
  std::vector<Stapling> stapling_;
};

}  // namespace albatross::tls
