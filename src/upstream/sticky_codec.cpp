#include "albatross/upstream/sticky_codec.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>

namespace albatross::upstream {

namespace {

constexpr std::size_t kKeyIdOffset = 1;
constexpr std::size_t kNonceOffset = kKeyIdOffset + StickyKey::kIdSize;
constexpr std::size_t kCiphertextOffset = kNonceOffset + StickyCodec::kNonceSize;
constexpr std::size_t kTagOffset = kCiphertextOffset + StickyCodec::kPlaintextSize;
static_assert(kTagOffset + StickyCodec::kTagSize == StickyCodec::kRawSize);

using Raw = std::array<unsigned char, StickyCodec::kRawSize>;
using Plaintext = std::array<unsigned char, StickyCodec::kPlaintextSize>;

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_base64url_values() {
  std::array<std::int8_t, 256> values{};
  for (auto& v : values)
    v = -1;
  for (int i = 0; i < 64; ++i)
    values[static_cast<unsigned char>(kBase64Url[i])] = static_cast<std::int8_t>(i);
  return values;
}
constexpr std::array<std::int8_t, 256> kBase64UrlValues = make_base64url_values();

// kRawSize is a multiple of 3, so each 3 bytes are exactly 4 characters and no character
// carries unused bits: one value has one text form.
void base64url_encode(const Raw& raw, std::span<char, StickyCodec::kValueSize> out) {
  std::size_t o = 0;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    std::uint32_t group = (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) |
                          std::uint32_t{raw[i + 2]};
    out[o++] = kBase64Url[(group >> 18) & 0x3f];
    out[o++] = kBase64Url[(group >> 12) & 0x3f];
    out[o++] = kBase64Url[(group >> 6) & 0x3f];
    out[o++] = kBase64Url[group & 0x3f];
  }
}

// `text` is kValueSize characters long.
bool base64url_decode(std::string_view text, Raw& raw) {
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      std::int8_t v = kBase64UrlValues[static_cast<unsigned char>(text[i + j])];
      if (v < 0) return false;
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    raw[o++] = static_cast<unsigned char>(group >> 16);
    raw[o++] = static_cast<unsigned char>(group >> 8);
    raw[o++] = static_cast<unsigned char>(group);
  }
  return true;
}

void put_u64(unsigned char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(v);
    v >>= 8;
  }
}

std::uint64_t get_u64(const unsigned char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | in[i];
  return v;
}

// Bumped in the child after fork(), so a per-thread nonce pool copied into the child is
// dropped rather than replaying nonces the parent also uses.
std::atomic<unsigned> fork_generation{0};

unsigned current_fork_generation() {
  static const bool registered = ::pthread_atfork(nullptr, nullptr, [] {
                                   fork_generation.fetch_add(1, std::memory_order_relaxed);
                                 }) == 0;
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

// This thread's supply of random nonces, drawn from RAND_bytes in batches: one RAND_bytes call
// costs about as much as the whole AES-GCM seal, and nonces need only be unique, not secret.
class NoncePool {
 public:
  // False if the random source failed.
  bool take(unsigned char* out) {
    unsigned generation = current_fork_generation();
    if (next_ == bytes_.size() || generation != generation_) {
      if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1) {
        next_ = bytes_.size();
        return false;
      }
      next_ = 0;
      generation_ = generation;
    }
    std::copy_n(bytes_.data() + next_, StickyCodec::kNonceSize, out);
    next_ += StickyCodec::kNonceSize;
    return true;
  }

 private:
  static constexpr std::size_t kNonces = 32;
  std::array<unsigned char, kNonces * StickyCodec::kNonceSize> bytes_{};
  std::size_t next_ = bytes_.size();
  unsigned generation_ = 0;
};

// This thread's AES-256-GCM contexts, each keyed once and then only given a nonce per value
// (the key schedule costs about half of a seal). Found by the key's bytes, not its address,
// so a later snapshot's codec with the same key reuses them and a recycled address cannot
// name the wrong key. Two slots: during a rotation, the new key seals, the old one opens.
class ThreadCiphers {
 public:
  ThreadCiphers() = default;
  ThreadCiphers(const ThreadCiphers&) = delete;
  ThreadCiphers& operator=(const ThreadCiphers&) = delete;
  ~ThreadCiphers() {
    for (Slot& slot : slots_) {
      EVP_CIPHER_CTX_free(slot.ctx);
      OPENSSL_cleanse(slot.key.data(), slot.key.size());
    }
  }

  // A context keyed with `key`, its direction and nonce still to be set; nullptr if OpenSSL
  // failed.
  EVP_CIPHER_CTX* keyed_with(const StickyKey& key) {
    ++uses_;
    for (Slot& slot : slots_) {
      if (slot.keyed && slot.key == key.bytes) {
        slot.last_use = uses_;
        return slot.ctx;
      }
    }
    Slot& slot = slots_[0].last_use <= slots_[1].last_use ? slots_[0] : slots_[1];
    slot.keyed = false;
    if (slot.ctx == nullptr) {
      slot.ctx = EVP_CIPHER_CTX_new();
      if (slot.ctx == nullptr) return nullptr;
      // The default GCM nonce length is 12 bytes, the one we use.
      if (EVP_CipherInit_ex(slot.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, 1) != 1) {
        EVP_CIPHER_CTX_free(slot.ctx);
        slot.ctx = nullptr;
        return nullptr;
      }
    }
    if (EVP_CipherInit_ex(slot.ctx, nullptr, nullptr, key.bytes.data(), nullptr, 1) != 1) {
      return nullptr;
    }
    slot.key = key.bytes;
    slot.keyed = true;
    slot.last_use = uses_;
    return slot.ctx;
  }

 private:
  struct Slot {
    EVP_CIPHER_CTX* ctx = nullptr;
    std::array<unsigned char, StickyKey::kSize> key{};
    bool keyed = false;
    std::uint64_t last_use = 0;
  };
  std::array<Slot, 2> slots_;
  std::uint64_t uses_ = 0;
};

struct ThreadState {
  NoncePool nonces;
  ThreadCiphers ciphers;
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

// Wipes the plaintext on every way out.
struct PlaintextGuard {
  Plaintext& plaintext;
  ~PlaintextGuard() { OPENSSL_cleanse(plaintext.data(), plaintext.size()); }
};

}  // namespace

bool StickyCodec::encode_to(const StickyPayload& payload, std::span<char, kValueSize> out) const {
  ThreadState& state = thread_state();
  const StickyKey& key = keys_.encrypting();
  EVP_CIPHER_CTX* ctx = state.ciphers.keyed_with(key);
  if (ctx == nullptr) return false;

  Raw raw{};
  raw[0] = kVersion;
  std::copy(key.id.begin(), key.id.end(), raw.begin() + kKeyIdOffset);
  if (!state.nonces.take(raw.data() + kNonceOffset)) return false;

  Plaintext plaintext{};
  PlaintextGuard guard{plaintext};
  put_u64(plaintext.data(), payload.target_id);
  put_u64(plaintext.data() + 8, payload.group_id);
  put_u64(plaintext.data() + 16,
          static_cast<std::uint64_t>(payload.bound_at.time_since_epoch().count()));

  int length = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, raw.data() + kNonceOffset, 1) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &length, raw.data(), static_cast<int>(kNonceOffset)) != 1 ||
      EVP_EncryptUpdate(ctx, raw.data() + kCiphertextOffset, &length, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      length != static_cast<int>(kPlaintextSize) ||
      EVP_EncryptFinal_ex(ctx, raw.data() + kTagOffset, &length) != 1 || length != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          raw.data() + kTagOffset) != 1) {
    return false;
  }
  base64url_encode(raw, out);
  return true;
}

std::string StickyCodec::encode(const StickyPayload& payload) const {
  std::array<char, kValueSize> value;
  if (!encode_to(payload, value)) return {};
  return std::string(value.data(), value.size());
}

DecodeResult StickyCodec::decode(std::string_view value) const {
  DecodeResult result;
  if (value.size() != kValueSize) return result;
  Raw raw;
  if (!base64url_decode(value, raw)) return result;
  if (raw[0] != kVersion) return result;
  const StickyKey* key = keys_.find(std::span<const unsigned char, StickyKey::kIdSize>(
      raw.data() + kKeyIdOffset, StickyKey::kIdSize));
  if (key == nullptr) return result;
  EVP_CIPHER_CTX* ctx = thread_state().ciphers.keyed_with(*key);
  if (ctx == nullptr) return result;

  Plaintext plaintext{};
  PlaintextGuard guard{plaintext};
  int length = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, raw.data() + kNonceOffset, 0) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &length, raw.data(), static_cast<int>(kNonceOffset)) != 1 ||
      EVP_DecryptUpdate(ctx, plaintext.data(), &length, raw.data() + kCiphertextOffset,
                        static_cast<int>(kPlaintextSize)) != 1 ||
      length != static_cast<int>(kPlaintextSize) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          raw.data() + kTagOffset) != 1) {
    return result;
  }
  // The tag is checked here; the plaintext means nothing unless this succeeds.
  unsigned char end[16];
  if (EVP_DecryptFinal_ex(ctx, end, &length) != 1) return result;

  result.status = DecodeStatus::ok;
  result.payload.target_id = get_u64(plaintext.data());
  result.payload.group_id = get_u64(plaintext.data() + 8);
  result.payload.bound_at = std::chrono::sys_seconds(
      std::chrono::seconds(static_cast<std::int64_t>(get_u64(plaintext.data() + 16))));
  return result;
}

bool is_expired(const StickyPayload& payload, std::chrono::system_clock::time_point now,
                std::chrono::milliseconds duration) {
  // In milliseconds with overflow checks: bound_at comes from a cookie and may be anything an
  // earlier encoder was given.
  std::int64_t now_ms =
      std::chrono::floor<std::chrono::milliseconds>(now).time_since_epoch().count();
  std::int64_t bound_ms = 0;
  std::int64_t age_ms = 0;
  if (__builtin_mul_overflow(payload.bound_at.time_since_epoch().count(), std::int64_t{1000},
                             &bound_ms) ||
      __builtin_sub_overflow(now_ms, bound_ms, &age_ms)) {
    return true;
  }
  std::int64_t limit = duration.count();
  return age_ms >= limit || age_ms < -limit;
}

}  // namespace albatross::upstream
