#include "albatross/upstream/sticky_codec.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace albatross::upstream {
namespace {

using namespace std::chrono_literals;
using KeyBytes = std::array<unsigned char, StickyKey::kSize>;

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

KeyBytes key_bytes(unsigned char seed) {
  KeyBytes key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<unsigned char>(seed ^ (i * 13));
  return key;
}

StickyKeyRing ring_of(std::vector<KeyBytes> keys) {
  std::string error;
  auto ring = StickyKeyRing::from_keys(keys, error);
  REQUIRE_MESSAGE(ring.has_value(), error);
  return *ring;
}

// base64url without padding, through OpenSSL's standard base64: an oracle independent of the
// codec's own.
std::vector<unsigned char> raw_of(std::string_view value) {
  std::string text(value);
  std::replace(text.begin(), text.end(), '-', '+');
  std::replace(text.begin(), text.end(), '_', '/');
  while (text.size() % 4 != 0)
    text.push_back('=');
  std::vector<unsigned char> block(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(block.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  REQUIRE(n == static_cast<int>(block.size()));
  // EVP_DecodeBlock counts the bytes the padding stands for; `value` carried 6 bits a character.
  std::size_t size = value.size() * 6 / 8;
  REQUIRE(size <= block.size());
  return std::vector<unsigned char>(block.begin(),
                                    block.begin() + static_cast<std::ptrdiff_t>(size));
}

std::string value_of(const std::vector<unsigned char>& raw) {
  std::string text(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), raw.data(),
                          static_cast<int>(raw.size()));
  text.resize(static_cast<std::size_t>(n));
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  return text;
}

// Opens a value the documented way with OpenSSL directly: an oracle for the layout and the
// key each value is sealed with. The 24-byte plaintext, or nullopt.
std::optional<std::vector<unsigned char>> open_with(const KeyBytes& key, std::string_view value) {
  std::vector<unsigned char> raw = raw_of(value);
  if (raw.size() != 57) return std::nullopt;
  std::vector<unsigned char> plaintext(24);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int length = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), raw.data() + 5) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &length, raw.data(), 5) == 1 &&
            EVP_DecryptUpdate(ctx, plaintext.data(), &length, raw.data() + 17, 24) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, raw.data() + 41) == 1 &&
            EVP_DecryptFinal_ex(ctx, plaintext.data() + 24, &length) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return plaintext;
}

std::vector<unsigned char> plaintext_of(const StickyPayload& payload) {
  std::vector<unsigned char> out;
  for (std::uint64_t field :
       {payload.target_id, payload.group_id,
        static_cast<std::uint64_t>(payload.bound_at.time_since_epoch().count())}) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<unsigned char>(field >> shift));
  }
  return out;
}

const StickyPayload kPayload{0x0123456789abcdefULL, 0xfedcba9876543210ULL,
                             std::chrono::sys_seconds(1717243200s)};

}  // namespace

TEST_CASE("StickyCodec round-trips payloads in a 76-character base64url value") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  const StickyPayload payloads[] = {
      kPayload,
      {},
      {std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max(),
       std::chrono::sys_seconds(std::chrono::seconds(std::numeric_limits<std::int64_t>::max()))},
      {1, 2, std::chrono::sys_seconds(-5s)},
  };
  for (const StickyPayload& payload : payloads) {
    std::string value = codec.encode(payload);
    REQUIRE(value.size() == StickyCodec::kValueSize);
    CHECK(value.find_first_not_of(kBase64UrlAlphabet) == std::string::npos);
    DecodeResult result = codec.decode(value);
    REQUIRE(result.ok());
    CHECK(result.payload == payload);
  }

  std::array<char, StickyCodec::kValueSize> buffer;
  REQUIRE(codec.encode_to(kPayload, buffer));
  DecodeResult result = codec.decode(std::string_view(buffer.data(), buffer.size()));
  REQUIRE(result.ok());
  CHECK(result.payload == kPayload);
}

TEST_CASE("StickyCodec values reveal nothing and never repeat") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  std::string first = codec.encode(kPayload);
  std::string second = codec.encode(kPayload);
  CHECK(first != second);  // fresh nonce each time
  CHECK(codec.decode(second).payload == kPayload);

  std::vector<unsigned char> raw = raw_of(first);
  REQUIRE(raw.size() == StickyCodec::kRawSize);
  CHECK(raw[0] == StickyCodec::kVersion);
  CHECK(std::equal(raw.begin() + 1, raw.begin() + 5, codec.keys().encrypting().id.begin()));
  CHECK(open_with(key_bytes(1), first) == plaintext_of(kPayload));
  CHECK(open_with(key_bytes(2), first) == std::nullopt);
  // No field of the payload appears in clear, in either byte order.
  for (std::uint64_t field :
       {kPayload.target_id, kPayload.group_id,
        static_cast<std::uint64_t>(kPayload.bound_at.time_since_epoch().count())}) {
    std::array<unsigned char, 8> big{}, little{};
    for (int i = 0; i < 8; ++i) {
      big[i] = static_cast<unsigned char>(field >> (56 - 8 * i));
      little[i] = static_cast<unsigned char>(field >> (8 * i));
    }
    CHECK(std::search(raw.begin(), raw.end(), big.begin(), big.end()) == raw.end());
    CHECK(std::search(raw.begin(), raw.end(), little.begin(), little.end()) == raw.end());
  }
}

TEST_CASE("StickyCodec refuses every single-byte change of the sealed bytes") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  std::string value = codec.encode(kPayload);
  std::vector<unsigned char> raw = raw_of(value);
  REQUIRE(value_of(raw) == value);
  int accepted = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    for (int flip = 1; flip < 256; ++flip) {
      std::vector<unsigned char> tampered = raw;
      tampered[i] ^= static_cast<unsigned char>(flip);
      if (codec.decode(value_of(tampered)).ok()) ++accepted;
    }
  }
  CHECK(accepted == 0);
  CHECK(codec.decode(value).ok());
}

TEST_CASE("StickyCodec refuses every single-character change of the value") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  std::string value = codec.encode(kPayload);
  std::string others(kBase64UrlAlphabet);
  others += "=+/. \t\"%;,\x7f\x80\xff";
  others.push_back('\0');
  int accepted = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    for (char c : others) {
      if (c == value[i]) continue;
      std::string changed = value;
      changed[i] = c;
      if (codec.decode(changed).ok()) ++accepted;
    }
  }
  CHECK(accepted == 0);
}

TEST_CASE("StickyCodec refuses truncated and extended values") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  std::string value = codec.encode(kPayload);
  for (std::size_t n = 0; n < value.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(codec.decode(std::string_view(value).substr(0, n)).ok());
    CHECK_FALSE(codec.decode(std::string_view(value).substr(value.size() - n)).ok());
  }
  for (std::string suffix : {"A", "=", "==", "AAAA", " ", ";"}) {
    CAPTURE(suffix);
    CHECK_FALSE(codec.decode(value + suffix).ok());
    CHECK_FALSE(codec.decode(suffix + value).ok());
  }
  CHECK_FALSE(codec.decode(value + value).ok());
  // The same bytes in padded standard base64 are not the cookie's form.
  std::string padded = value;
  std::replace(padded.begin(), padded.end(), '-', '+');
  std::replace(padded.begin(), padded.end(), '_', '/');
  if (padded != value) CHECK_FALSE(codec.decode(padded).ok());
}

TEST_CASE("StickyCodec refuses values sealed with a key it does not hold") {
  StickyCodec ours(ring_of({key_bytes(1)}));
  StickyCodec theirs(ring_of({key_bytes(2)}));
  CHECK_FALSE(ours.decode(theirs.encode(kPayload)).ok());
  CHECK_FALSE(theirs.decode(ours.encode(kPayload)).ok());
}

TEST_CASE("StickyCodec keeps old values valid across a key rotation") {
  KeyBytes old_key = key_bytes(1);
  KeyBytes new_key = key_bytes(2);
  StickyCodec before(ring_of({old_key}));
  StickyCodec during(ring_of({new_key, old_key}));
  StickyCodec after(ring_of({new_key}));

  std::string old_value = before.encode(kPayload);
  DecodeResult result = during.decode(old_value);
  REQUIRE(result.ok());
  CHECK(result.payload == kPayload);

  std::string new_value = during.encode(kPayload);
  std::vector<unsigned char> raw = raw_of(new_value);
  CHECK(std::equal(raw.begin() + 1, raw.begin() + 5, during.keys().keys()[0].id.begin()));
  CHECK(open_with(new_key, new_value) == plaintext_of(kPayload));
  CHECK(open_with(old_key, old_value) == plaintext_of(kPayload));
  CHECK(during.decode(new_value).ok());
  CHECK(after.decode(new_value).ok());
  CHECK_FALSE(before.decode(new_value).ok());
  CHECK_FALSE(after.decode(old_value).ok());  // the old key is gone
}

TEST_CASE("StickyCodec opens values under any key of the ring, in any order") {
  // More keys than a thread keeps keyed contexts for, so each round re-keys some.
  std::vector<KeyBytes> keys{key_bytes(1), key_bytes(2), key_bytes(3), key_bytes(4)};
  std::vector<std::string> values;
  for (const KeyBytes& key : keys) {
    values.push_back(StickyCodec(ring_of({key})).encode(kPayload));
    CHECK(open_with(key, values.back()) == plaintext_of(kPayload));
  }
  StickyCodec codec(ring_of(keys));
  StickyCodec newest_only(ring_of({keys[0]}));
  int failures = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i : {3, 0, 2, 1, 3, 3, 1, 0}) {
      DecodeResult result = codec.decode(values[i]);
      if (!result.ok() || !(result.payload == kPayload)) ++failures;
      if (newest_only.decode(values[i]).ok() != (i == 0)) ++failures;
    }
    if (open_with(keys[0], codec.encode(kPayload)) != plaintext_of(kPayload)) ++failures;
  }
  CHECK(failures == 0);
}

TEST_CASE("StickyCodec nonces are not repeated by a forked child") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  auto nonce_of = [](const std::string& value) {
    std::vector<unsigned char> raw = raw_of(value);
    return std::vector<unsigned char>(raw.begin() + 5, raw.begin() + 5 + StickyCodec::kNonceSize);
  };
  codec.encode(kPayload);  // this thread now holds unused nonces a child would inherit
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string value = codec.encode(kPayload);
    ssize_t n = ::write(pipe_fds[1], value.data(), value.size());
    ::_exit(n == static_cast<ssize_t>(value.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string parent_value = codec.encode(kPayload);
  std::string child_value(StickyCodec::kValueSize, '\0');
  std::size_t got = 0;
  while (got < child_value.size()) {
    ssize_t n = ::read(pipe_fds[0], child_value.data() + got, child_value.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(got == child_value.size());
  CHECK(codec.decode(child_value).ok());
  CHECK(nonce_of(child_value) != nonce_of(parent_value));
}

TEST_CASE("StickyCodec refuses garbage, empty and huge values at once") {
  StickyCodec codec(ring_of({key_bytes(1)}));
  CHECK_FALSE(codec.decode("").ok());
  CHECK_FALSE(codec.decode("not a cookie").ok());
  CHECK_FALSE(codec.decode(std::string(StickyCodec::kValueSize, '=')).ok());
  CHECK_FALSE(codec.decode(std::string(StickyCodec::kValueSize, '+')).ok());
  CHECK_FALSE(codec.decode(std::string(StickyCodec::kValueSize, '\0')).ok());
  CHECK_FALSE(codec.decode(std::string(StickyCodec::kValueSize, 'A')).ok());  // version 0
  CHECK_FALSE(codec.decode(std::string(StickyCodec::kValueSize, '_')).ok());

  // A 1 MB value is refused by its length alone: 10000 of them would take seconds if each were
  // scanned, and take microseconds when refused before any work.
  std::string huge(1 << 20, 'A');
  auto start = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < 10000; ++i)
    accepted += codec.decode(huge).ok();
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(accepted == 0);
  CHECK(elapsed < 100ms);
}

TEST_CASE("is_expired draws the line at bound_at + duration") {
  using std::chrono::system_clock;
  StickyPayload payload = kPayload;
  system_clock::time_point bound = payload.bound_at;
  constexpr std::chrono::milliseconds day = 86400s;

  CHECK_FALSE(is_expired(payload, bound, day));
  CHECK_FALSE(is_expired(payload, bound + day - 1ms, day));
  CHECK_FALSE(is_expired(payload, bound + day - 1us, day));
  CHECK(is_expired(payload, bound + day, day));
  CHECK(is_expired(payload, bound + day + 1s, day));
  CHECK_FALSE(is_expired(payload, bound + 1s, 2s));
  CHECK(is_expired(payload, bound + 1s, 1s));

  // Bound in the future: another instance's clock runs ahead; tolerated up to `duration`.
  CHECK_FALSE(is_expired(payload, bound - 5s, day));
  CHECK_FALSE(is_expired(payload, bound - day, day));
  CHECK(is_expired(payload, bound - day - 1ms, day));

  // Extreme times from a cookie cannot overflow the arithmetic.
  StickyPayload far = payload;
  far.bound_at =
      std::chrono::sys_seconds(std::chrono::seconds(std::numeric_limits<std::int64_t>::max()));
  CHECK(is_expired(far, bound, day));
  far.bound_at =
      std::chrono::sys_seconds(std::chrono::seconds(std::numeric_limits<std::int64_t>::min()));
  CHECK(is_expired(far, bound, day));
}

TEST_CASE("StickyCodec encodes and decodes concurrently on two threads") {
  StickyCodec codec(ring_of({key_bytes(2), key_bytes(1)}));
  StickyCodec old_codec(ring_of({key_bytes(1)}));
  std::string old_value = old_codec.encode(kPayload);
  constexpr int kRounds = 2000;
  std::atomic<int> failures{0};
  auto work = [&](std::uint64_t thread_tag) {
    for (int i = 0; i < kRounds; ++i) {
      StickyPayload payload{thread_tag, static_cast<std::uint64_t>(i),
                            std::chrono::sys_seconds(std::chrono::seconds(i))};
      std::string value = codec.encode(payload);
      DecodeResult result = codec.decode(value);
      if (!result.ok() || !(result.payload == payload)) ++failures;
      if (i % 100 == 0 && open_with(key_bytes(2), value) != plaintext_of(payload)) ++failures;
      if (!codec.decode(old_value).ok()) ++failures;
      value[i % value.size()] = value[i % value.size()] == 'A' ? 'B' : 'A';
      if (codec.decode(value).ok()) ++failures;
    }
  };
  std::thread other(work, 2);
  work(1);
  other.join();
  CHECK(failures.load() == 0);
}

}  // namespace albatross::upstream
