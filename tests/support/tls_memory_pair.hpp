#pragma once

// Test-only: a TLS client and server SSL joined by an in-memory BIO pair, so that handshakes run
// without sockets. Header-only, shared by the tls/ unit tests.

#include <openssl/ssl.h>

#include <string>

namespace albatross::testing {

class TlsMemoryPair {
 public:
  TlsMemoryPair(SSL_CTX* client_ctx, SSL_CTX* server_ctx)
      : client_(SSL_new(client_ctx)), server_(SSL_new(server_ctx)) {
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client_, client_bio, client_bio);
    SSL_set_bio(server_, server_bio, server_bio);
    SSL_set_connect_state(client_);
    SSL_set_accept_state(server_);
  }
  ~TlsMemoryPair() {
    // A client session freed without close_notify is marked not resumable.
    SSL_shutdown(client_);
    SSL_free(client_);
    SSL_free(server_);
  }
  TlsMemoryPair(const TlsMemoryPair&) = delete;
  TlsMemoryPair& operator=(const TlsMemoryPair&) = delete;

  SSL* client() const { return client_; }
  SSL* server() const { return server_; }

  // Drives both sides until the handshake completed on both (true) or one side failed.
  bool handshake() {
    for (int round = 0; round < 64; ++round) {
      int c = SSL_do_handshake(client_);
      int s = SSL_do_handshake(server_);
      if (c == 1 && s == 1) return true;
      if (c != 1 && !retryable(SSL_get_error(client_, c))) return false;
      if (s != 1 && !retryable(SSL_get_error(server_, s))) return false;
    }
    return false;
  }

  // Sends a few bytes from the server and reads them on the client, which also processes the
  // TLS 1.3 session tickets the server sent after its handshake.
  bool server_to_client(const std::string& text = "ok") {
    if (SSL_write(server_, text.data(), static_cast<int>(text.size())) <= 0) return false;
    char buffer[64];
    int n = SSL_read(client_, buffer, sizeof buffer);
    return n == static_cast<int>(text.size());
  }

 private:
  static bool retryable(int error) {
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
  }

  SSL* client_;
  SSL* server_;
};

}  // namespace albatross::testing
