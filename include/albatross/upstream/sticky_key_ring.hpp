#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace albatross::upstream {

// One AES-256 key of the sticky cookie and the short id that names it inside a cookie. The id is
// the first bytes of SHA-256(key): it tells which key to try without trial decryption and says
// nothing usable about the key. Wiped when destroyed.
struct StickyKey {
  static constexpr std::size_t kSize = 32;   // AES-256
  static constexpr std::size_t kIdSize = 4;  // first bytes of SHA-256(key)

  std::array<unsigned char, kSize> bytes{};
  std::array<unsigned char, kIdSize> id{};

  StickyKey() = default;
  explicit StickyKey(const std::array<unsigned char, kSize>& key);
  StickyKey(const StickyKey&) = default;
  StickyKey& operator=(const StickyKey&) = default;
  ~StickyKey();
};

// The keys of the sticky cookie: the first encrypts, every one decrypts, so a new key can be put
// first while cookies issued under the old one (now second) stay valid until it is removed.
// Immutable after construction. Thread: any (read-only).
class StickyKeyRing {
 public:
  static constexpr std::size_t kMaxKeys = 16;
  static constexpr std::size_t kMaxFileSize = 64 * 1024;

  // Reads a key file: one standard base64 key per line (`openssl rand -base64 32`), exactly 32
  // bytes once decoded; blank lines and lines starting with `#` are skipped. Refuses a file that
  // group or others may access (the mode is checked on the opened descriptor), a file with no
  // key, a malformed or wrongly sized key (the message names PATH:LINE), a duplicate key and
  // more than kMaxKeys keys. On failure returns nullopt and sets `error` to one line. Blocking
  // file I/O: call it on the control thread (startup, reload), never on a worker.
  static std::optional<StickyKeyRing> load(const std::string& path, std::string& error);

  // One fresh random key, for when no key file is configured: cookies then die with the
  // process and are not understood by other processes. Generate it once per process and keep
  // it across reloads. Aborts if the system's random source fails.
  static StickyKeyRing generate_random();

  // The ring of `keys`, in order (first encrypts). Nullopt and `error` set when `keys` is
  // empty, longer than kMaxKeys, or holds two keys with the same id.
  static std::optional<StickyKeyRing> from_keys(
      std::span<const std::array<unsigned char, StickyKey::kSize>> keys, std::string& error);

  // The key new cookies are sealed with.
  const StickyKey& encrypting() const { return keys_.front(); }

  // The key whose id is `id`, or nullptr.
  const StickyKey* find(std::span<const unsigned char, StickyKey::kIdSize> id) const;

  std::span<const StickyKey> keys() const { return keys_; }

 private:
  explicit StickyKeyRing(std::vector<StickyKey> keys) : keys_(std::move(keys)) {}

  std::vector<StickyKey> keys_;  // never empty
};

}  // namespace albatross::upstream
