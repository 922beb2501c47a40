#include "albatross/upstream/sticky_key_ring.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::upstream {

namespace {

constexpr std::string_view kHowToMake = "make one with `openssl rand -base64 32`";

// The 6-bit value of a standard base64 character, or -1.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The number of bytes `text` (standard base64, padding optional but exact when present, unused
// trailing bits zero) decodes to, or nullopt when it is not base64.
std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  std::size_t padding = 0;
  while (padding < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.empty()) return std::nullopt;
  if (padding != 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  for (char c : text) {
    if (base64_value(c) < 0) return std::nullopt;
  }
  std::size_t rest = text.size() % 4;
  if (rest == 1) return std::nullopt;
  // The last character of a partial group carries bits beyond the data: 4 of them after 2
  // characters, 2 after 3. Non-zero ones mean a mistyped or truncated key.
  int last = base64_value(text.back());
  if ((rest == 2 && (last & 0x0f) != 0) || (rest == 3 && (last & 0x03) != 0)) return std::nullopt;
  return text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
}

// Decodes `text`, already checked by base64_decoded_size, into `out` (exactly its size).
void base64_decode(std::string_view text, std::span<unsigned char> out) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  std::uint32_t bits = 0;
  int count = 0;
  std::size_t n = 0;
  for (char c : text) {
    bits = (bits << 6) | static_cast<std::uint32_t>(base64_value(c));
    count += 6;
    if (count >= 8) {
      count -= 8;
      if (n < out.size()) out[n++] = static_cast<unsigned char>(bits >> count);
    }
  }
  OPENSSL_cleanse(&bits, sizeof bits);
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Owns an open descriptor.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Owns a buffer holding secrets; wipes it when done.
struct SecretBuffer {
  std::string data;
  ~SecretBuffer() { OPENSSL_cleanse(data.data(), data.size()); }
};

std::string format_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

StickyKey::StickyKey(const std::array<unsigned char, kSize>& key) : bytes(key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    log::error("sticky key: SHA-256 unavailable");
    std::abort();
  }
  std::copy_n(digest, kIdSize, id.begin());
}

StickyKey::~StickyKey() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

std::optional<StickyKeyRing> StickyKeyRing::load(const std::string& path, std::string& error) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    error = str_cat(path, ": cannot open sticky key file: ", std::strerror(errno));
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) {
    error = str_cat(path, ": cannot stat sticky key file: ", std::strerror(errno));
    return std::nullopt;
  }
  if (!S_ISREG(info.st_mode)) {
    error = str_cat(path, ": sticky key file is not a regular file");
    return std::nullopt;
  }
  // Checked on the descriptor we read from, so a swap of the path in between cannot slip a
  // readable file past the check.
  if ((info.st_mode & 077) != 0) {
    error = str_cat(path, ": sticky key file is accessible by group or others (mode ",
                    format_mode(info.st_mode), "); run chmod 600 ", path);
    return std::nullopt;
  }

  SecretBuffer content;
  content.data.resize(kMaxFileSize + 1);
  std::size_t size = 0;
  while (size < content.data.size()) {
    ssize_t n = ::read(file.fd, content.data.data() + size, content.data.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = str_cat(path, ": cannot read sticky key file: ", std::strerror(errno));
      return std::nullopt;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxFileSize) {
    error = str_cat(path, ": sticky key file is larger than ", kMaxFileSize / 1024,
                    " KiB; expected one base64 key per line");
    return std::nullopt;
  }

  std::vector<StickyKey> keys;
  std::vector<std::size_t> key_lines;
  std::string_view rest(content.data.data(), size);
  std::size_t line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    std::size_t end = rest.find('\n');
    std::string_view line = trim_blanks(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;

    std::string where = str_cat(path, ":", line_number, ": ");
    std::optional<std::size_t> decoded_size = base64_decoded_size(line);
    if (!decoded_size) {
      error = str_cat(where, "sticky key is not valid base64 (expected one base64 key per line; ",
                      kHowToMake, ")");
      return std::nullopt;
    }
    if (*decoded_size != StickyKey::kSize) {
      error = str_cat(where, "sticky key is ", *decoded_size, " bytes once decoded; AES-256 needs ",
                      StickyKey::kSize, " (", kHowToMake, ")");
      return std::nullopt;
    }
    if (keys.size() == kMaxKeys) {
      error = str_cat(where, "more than ", kMaxKeys, " sticky keys");
      return std::nullopt;
    }
    std::array<unsigned char, StickyKey::kSize> bytes{};
    base64_decode(line, bytes);
    StickyKey key(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].id == key.id) {
        error = keys[i].bytes == key.bytes
                    ? str_cat(where, "same sticky key as line ", key_lines[i])
                    : str_cat(where, "sticky key id collides with the key on line ", key_lines[i],
                              "; ", kHowToMake);
        return std::nullopt;
      }
    }
    keys.push_back(key);
    key_lines.push_back(line_number);
  }
  if (keys.empty()) {
    error = str_cat(path, ": sticky key file holds no key (expected one base64 key per line; ",
                    kHowToMake, ")");
    return std::nullopt;
  }
  return StickyKeyRing(std::move(keys));
}

StickyKeyRing StickyKeyRing::generate_random() {
  std::array<unsigned char, StickyKey::kSize> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    log::error("sticky key: the random source failed");
    std::abort();
  }
  std::vector<StickyKey> keys;
  keys.emplace_back(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return StickyKeyRing(std::move(keys));
}

std::optional<StickyKeyRing> StickyKeyRing::from_keys(
    std::span<const std::array<unsigned char, StickyKey::kSize>> keys, std::string& error) {
  if (keys.empty() || keys.size() > kMaxKeys) {
    error = str_cat("a sticky key ring holds 1 to ", kMaxKeys, " keys, not ", keys.size());
    return std::nullopt;
  }
  std::vector<StickyKey> ring;
  for (const auto& bytes : keys) {
    StickyKey key(bytes);
    for (std::size_t i = 0; i < ring.size(); ++i) {
      if (ring[i].id == key.id) {
        error = str_cat("sticky keys ", i + 1, " and ", ring.size() + 1, " have the same id");
        return std::nullopt;
      }
    }
    ring.push_back(key);
  }
  return StickyKeyRing(std::move(ring));
}

const StickyKey* StickyKeyRing::find(std::span<const unsigned char, StickyKey::kIdSize> id) const {
  for (const StickyKey& key : keys_) {
    if (std::equal(id.begin(), id.end(), key.id.begin())) return &key;
  }
  return nullptr;
}

}  // namespace albatross::upstream
