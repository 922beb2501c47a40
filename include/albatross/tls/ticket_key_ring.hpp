#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

namespace albatross::tls {

// The keys that seal TLS session tickets (RFC 5077 stateless resumption) for every TLS listener
// of the process: the newest key seals new tickets, the older ones still open tickets they
// sealed, so a ticket stays valid for up to ticket_lifetime() after its key was replaced.
// rotate() puts a fresh random key first every rotation interval. Keys never leave the process:
// a restart (or another node) makes clients do one full handshake. Thread: rotate() and
// rotate_if_due() on the control thread; handshakes on any worker read the current set through
// one atomic shared_ptr, so a rotation never blocks or tears a handshake.
class TicketKeyRing {
 public:
  static constexpr std::size_t kKeys = 3;  // the sealing key and two older ones
  static constexpr std::chrono::seconds kDefaultInterval{3600};

  explicit TicketKeyRing(std::chrono::seconds rotation_interval = kDefaultInterval);

  // A fresh key seals from now on; the oldest is forgotten.
  void rotate();
  // rotate() when an interval has passed since the last one. True when it rotated.
  bool rotate_if_due(std::chrono::steady_clock::time_point now);

  // Tickets are advertised (and honoured) for this long: while their key is still held.
  std::chrono::seconds ticket_lifetime() const { return interval_ * (kKeys - 1); }

  // Makes `ctx` seal and open tickets with this ring. The ring must outlive every handshake on
  // `ctx` (ServerContext holds it; handshakes pin their ServerContext).
  void install(SSL_CTX* ctx) const;

  struct Key {
    std::array<unsigned char, 16> name;  // sent in the clear inside tickets: picks the key
    std::array<unsigned char, 32> aes;   // AES-256-CBC
    std::array<unsigned char, 32> hmac;  // HMAC-SHA256
  };
  struct Keys {
    std::array<Key, kKeys> keys;
    std::size_t count = 0;  // keys[0] seals
    ~Keys();
  };
  std::shared_ptr<const Keys> keys() const { return keys_.load(std::memory_order_acquire); }

 private:
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point rotated_at_;
  std::atomic<std::shared_ptr<const Keys>> keys_;
};

}  // namespace albatross::tls
