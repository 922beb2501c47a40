#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/duration.hpp"
#include "albatross/config/tls_config.hpp"
#include "albatross/tls/certificate.hpp"
#include "albatross/tls/openssl_handles.hpp"
#include "albatross/tls/security_policy.hpp"
#include "albatross/tls/ticket_key_ring.hpp"

namespace albatross::tls {

// The server side of one TLS listener: its certificates and one SSL_CTX per distinct set of
// certificates a client may be served (at most one RSA and one ECDSA certificate each; OpenSSL
// picks between them per client, ECDSA first when the client supports it). The SNI callback
// moves a connection to the context for its server name: exact name first, then the wildcard
// of its parent domain, else the default certificate's context. Every context has the same
// policy, ALPN (http/1.1) and session-ticket keys. Built on the control thread with the
// snapshot, immutable afterwards; handshakes on any worker use it. A handshake must keep its
// ServerContext alive (sessions pin their ListenerContext, which owns it).
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
  static std::shared_ptr<const ServerContext> create(const config::TlsConfig& config,
                                                     const std::string& key_path,
                                                     std::shared_ptr<const TicketKeyRing> tickets,
                                                     std::int64_t now_unix,
                                                     std::vector<Problem>& errors,
                                                     std::vector<std::string>& warnings);

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

 private:
  ServerContext() = default;
  static int on_server_name(SSL* ssl, int* alert, void* arg);

  const SecurityPolicy* policy_ = nullptr;
  Duration handshake_timeout_{};
  std::vector<Certificate> certificates_;
  std::shared_ptr<const TicketKeyRing> tickets_;
  std::vector<SslCtxPtr> contexts_;  // owns every context below
  SSL_CTX* default_ = nullptr;
  std::map<std::string, SSL_CTX*, std::less<>> exact_;     // "api.example.com"
  std::map<std::string, SSL_CTX*, std::less<>> wildcard_;  // "example.com" for *.example.com
};

}  // namespace albatross::tls
