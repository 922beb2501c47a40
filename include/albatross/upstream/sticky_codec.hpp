#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "albatross/upstream/sticky_key_ring.hpp"

namespace albatross::upstream {

// What a sticky cookie says: the target a client is bound to, in which group, since when.
struct StickyPayload {
  std::uint64_t target_id = 0;  // Target::sticky_id
  std::uint64_t group_id = 0;   // sticky_group_id(group name)
  std::chrono::sys_seconds bound_at{};

  bool operator==(const StickyPayload&) const = default;
};

enum class DecodeStatus { ok, invalid };

struct DecodeResult {
  DecodeStatus status = DecodeStatus::invalid;
  StickyPayload payload;  // meaningful only when status is ok

  bool ok() const { return status == DecodeStatus::ok; }
};

// Seals and opens sticky cookie values with AES-256-GCM. A value is base64url without padding
// of: version (1 byte) | key id (4) | nonce (12, random) | ciphertext of the payload (24) | tag
// (16), 76 characters; version and key id are authenticated. The value tells a client nothing
// (no address, no id, no time) and any change to it is refused. Immutable; encode and decode
// may run concurrently on any threads: each thread keeps its own keyed cipher contexts and
// nonce supply (thread_local, made on its first call), so no mutable state is shared.
//
// Random 96-bit nonces are safe for about 2^32 values per key: seal a value only when a client
// is (re)bound, and re-send the value it presented otherwise; rotate keys.
class StickyCodec {
 public:
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::size_t kNonceSize = 12;
  static constexpr std::size_t kPlaintextSize = 24;
  static constexpr std::size_t kTagSize = 16;
  static constexpr std::size_t kRawSize =
      1 + StickyKey::kIdSize + kNonceSize + kPlaintextSize + kTagSize;  // 57
  static constexpr std::size_t kValueSize = kRawSize / 3 * 4;           // 76, no padding
  static_assert(kRawSize % 3 == 0, "every character of the value carries only data bits");

  explicit StickyCodec(StickyKeyRing keys) : keys_(std::move(keys)) {}

  // The cookie value for `payload`, sealed with the ring's first key; "" only if the random
  // source or the cipher failed (then send no cookie). Allocates only the returned string.
  std::string encode(const StickyPayload& payload) const;

  // Same, written to `out`; false on failure (then `out` is unspecified). Allocates nothing
  // once the calling thread has made its cipher contexts.
  bool encode_to(const StickyPayload& payload, std::span<char, kValueSize> out) const;

  // Opens a value: invalid when it is not kValueSize base64url characters, has an unknown
  // version or key id, or fails authentication. Any other length is refused before any other
  // work, so a huge cookie costs nothing. Allocates nothing, as encode_to.
  DecodeResult decode(std::string_view value) const;

  const StickyKeyRing& keys() const { return keys_; }

 private:
  StickyKeyRing keys_;
};

// True when a binding made at `payload.bound_at` is older than `duration` at `now` (at exactly
// `duration` it has expired), or claims to be made more than `duration` in the future (a clock
// that was wrong), so no value stays sticky for ever.
bool is_expired(const StickyPayload& payload, std::chrono::system_clock::time_point now,
                std::chrono::milliseconds duration);

}  // namespace albatross::upstream
