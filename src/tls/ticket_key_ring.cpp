#include "albatross/tls/ticket_key_ring.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "albatross/common/log.hpp"

namespace albatross::tls {
namespace {

// The ex_data slot of an SSL_CTX that holds its TicketKeyRing (not owned).
int ring_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void random_bytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    log::error("the system random source failed: cannot make TLS ticket keys");
    std::abort();
  }
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKeyRing::Key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket callback: enc=1 seals a new ticket with the newest key; enc=0 finds the key a
// ticket names. Returns 1 (ok), 2 (ok, but issue a fresh ticket: sealed by an older key), 0 (no
// such key: full handshake) or -1 (error).
int on_ticket(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
              EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  // Every context of a listener (SNI switches between them) holds the same ring.
  SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  auto* ring = static_cast<const TicketKeyRing*>(SSL_CTX_get_ex_data(ctx, ring_index()));
  if (ring == nullptr) return enc ? -1 : 0;
  std::shared_ptr<const TicketKeyRing::Keys> keys = ring->keys();
  if (!keys || keys->count == 0) return enc ? -1 : 0;
  if (enc) {
    const TicketKeyRing::Key& key = keys->keys[0];
    int iv_length = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
    if (RAND_bytes(iv, iv_length) != 1) return -1;
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, key) ? 1 : -1;
  }
  for (std::size_t i = 0; i < keys->count; ++i) {
    const TicketKeyRing::Key& key = keys->keys[i];
    if (CRYPTO_memcmp(key_name, key.name.data(), key.name.size()) != 0) continue;
    if (!set_mac_key(mac, key)) return -1;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;
}

}  // namespace

TicketKeyRing::Keys::~Keys() {
  OPENSSL_cleanse(keys.data(), sizeof keys);
}

TicketKeyRing::TicketKeyRing(std::chrono::seconds rotation_interval)
    : interval_(rotation_interval) {
  rotate();
}

void TicketKeyRing::rotate() {
  auto next = std::make_shared<Keys>();
  random_bytes(next->keys[0].name.data(), next->keys[0].name.size());
  random_bytes(next->keys[0].aes.data(), next->keys[0].aes.size());
  random_bytes(next->keys[0].hmac.data(), next->keys[0].hmac.size());
  next->count = 1;
  if (std::shared_ptr<const Keys> current = keys()) {
    for (std::size_t i = 0; i < current->count && next->count < kKeys; ++i)
      next->keys[next->count++] = current->keys[i];
  }
  keys_.store(std::move(next), std::memory_order_release);
  rotated_at_ = std::chrono::steady_clock::now();
}

bool TicketKeyRing::rotate_if_due(std::chrono::steady_clock::time_point now) {
  if (now - rotated_at_ < interval_) return false;
  rotate();
  rotated_at_ = now;
  return true;
}

void TicketKeyRing::install(SSL_CTX* ctx) const {
  SSL_CTX_set_ex_data(ctx, ring_index(), const_cast<TicketKeyRing*>(this));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket);
  SSL_CTX_set_timeout(ctx, static_cast<long>(ticket_lifetime().count()));
}

}  // namespace albatross::tls
