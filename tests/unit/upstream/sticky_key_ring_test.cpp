#include "albatross/upstream/sticky_key_ring.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace albatross::upstream {
namespace {

using KeyBytes = std::array<unsigned char, StickyKey::kSize>;

KeyBytes key_bytes(unsigned char seed) {
  KeyBytes key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<unsigned char>(seed + i * 7);
  return key;
}

// Standard base64 with padding, by OpenSSL: an oracle independent of the code under test.
std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64(const KeyBytes& key) {
  return base64(key.data(), key.size());
}

std::array<unsigned char, StickyKey::kIdSize> sha256_prefix(const KeyBytes& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr);
  std::array<unsigned char, StickyKey::kIdSize> id{};
  std::copy_n(digest, id.size(), id.begin());
  return id;
}

// A private directory for key files, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sticky_keys_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }

  // Writes `content` to NAME with `mode` (set with fchmod, so the umask does not interfere).
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    std::string file = (path_ / name).string();
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    REQUIRE(::fchmod(fd, mode) == 0);
    ::close(fd);
    return file;
  }

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("StickyKeyRing::load reads keys in order, skipping comments and blank lines") {
  TempDir dir;
  KeyBytes a = key_bytes(1);
  KeyBytes b = key_bytes(100);
  std::string content = "# albatross sticky keys: the first encrypts\n\n" + base64(b) +
                        "  \r\n   \t\n  # previous key, kept while old cookies live\n\t" +
                        base64(a) + "\n";
  std::string error;
  auto ring = StickyKeyRing::load(dir.write("keys", content), error);
  REQUIRE_MESSAGE(ring.has_value(), error);
  REQUIRE(ring->keys().size() == 2);
  CHECK(ring->encrypting().bytes == b);
  CHECK(ring->keys()[1].bytes == a);
  CHECK(ring->encrypting().id == sha256_prefix(b));
  CHECK(ring->keys()[1].id == sha256_prefix(a));
  CHECK(ring->find(sha256_prefix(a)) == &ring->keys()[1]);
  CHECK(ring->find(sha256_prefix(b)) == &ring->keys()[0]);
  CHECK(ring->find(sha256_prefix(key_bytes(7))) == nullptr);
}

TEST_CASE("StickyKeyRing::load accepts a key without padding and a last line without newline") {
  TempDir dir;
  KeyBytes a = key_bytes(3);
  std::string text = base64(a);
  REQUIRE(text.back() == '=');
  text.pop_back();
  std::string error;
  auto ring = StickyKeyRing::load(dir.write("keys", text), error);
  REQUIRE_MESSAGE(ring.has_value(), error);
  CHECK(ring->encrypting().bytes == a);
}

TEST_CASE("StickyKeyRing::load refuses malformed base64, naming the line") {
  TempDir dir;
  std::string good = base64(key_bytes(1));
  const char* bad_lines[] = {
      "not base64 at all!!",
      "AAAA AAAA",                                     // inner blank
      "AAAAA",                                         // 5 characters: a dangling sixth of a byte
      "AAA==",                                         // padding that does not complete a group
      "AB==",                                          // unused bits set in the last character
      "=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   // padding first
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-",  // base64url, not standard base64
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= # key",  // trailing comment
  };
  for (const char* bad : bad_lines) {
    CAPTURE(bad);
    std::string path = dir.write("keys", "# keys\n" + good + "\n" + bad + "\n");
    std::string error;
    CHECK_FALSE(StickyKeyRing::load(path, error).has_value());
    CHECK(error.find(path + ":3: ") == 0);
    CHECK(error.find("not valid base64") != std::string::npos);
  }
}

TEST_CASE("StickyKeyRing::load refuses keys that are not 32 bytes") {
  TempDir dir;
  struct Case {
    std::size_t size;
    const char* shown;
  };
  for (Case c : {Case{16, "16 bytes"}, Case{31, "31 bytes"}, Case{33, "33 bytes"},
                 Case{64, "64 bytes"}, Case{1, "1 bytes"}}) {
    CAPTURE(c.size);
    std::vector<unsigned char> bytes(c.size, 0x5a);
    std::string content = "\n";
    content += base64(bytes.data(), bytes.size());
    content += "\n";
    std::string path = dir.write("keys", content);
    std::string error;
    CHECK_FALSE(StickyKeyRing::load(path, error).has_value());
    CHECK(error.find(path + ":2: ") == 0);
    CHECK(error.find(c.shown) != std::string::npos);
    CHECK(error.find("needs 32") != std::string::npos);
  }
}

TEST_CASE("StickyKeyRing::load refuses a file with no key") {
  TempDir dir;
  for (const char* content : {"", "\n\n", "# only a comment\n   \n"}) {
    CAPTURE(content);
    std::string path = dir.write("keys", content);
    std::string error;
    CHECK_FALSE(StickyKeyRing::load(path, error).has_value());
    CHECK(error.find("no key") != std::string::npos);
  }
}

TEST_CASE("StickyKeyRing::load refuses a file group or others may access") {
  TempDir dir;
  std::string content = base64(key_bytes(1)) + "\n";
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0660, 0666}) {
    CAPTURE(mode);
    std::string path = dir.write("keys", content, mode);
    std::string error;
    CHECK_FALSE(StickyKeyRing::load(path, error).has_value());
    CHECK(error.find("chmod 600") != std::string::npos);
    CHECK(error.find(path) == 0);
  }
  for (mode_t mode : {0600, 0400}) {
    CAPTURE(mode);
    std::string error;
    CHECK_MESSAGE(StickyKeyRing::load(dir.write("keys", content, mode), error).has_value(), error);
  }
}

TEST_CASE("StickyKeyRing::load refuses what is not a usable key file") {
  TempDir dir;
  std::string error;
  CHECK_FALSE(StickyKeyRing::load(dir.path() + "/missing", error).has_value());
  CHECK(error.find("cannot open") != std::string::npos);

  std::string sub = dir.path() + "/sub";
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  CHECK_FALSE(StickyKeyRing::load(sub, error).has_value());
  CHECK(error.find("not a regular file") != std::string::npos);

  std::string big(StickyKeyRing::kMaxFileSize + 1, '#');
  CHECK_FALSE(StickyKeyRing::load(dir.write("big", big), error).has_value());
  CHECK(error.find("larger than") != std::string::npos);

  std::string a = base64(key_bytes(1));
  CHECK_FALSE(StickyKeyRing::load(dir.write("dup", a + "\n" + a + "\n"), error).has_value());
  CHECK(error.find(":2: same sticky key as line 1") != std::string::npos);

  std::string many;
  for (std::size_t i = 0; i <= StickyKeyRing::kMaxKeys; ++i)
    many += base64(key_bytes(static_cast<unsigned char>(i))) + "\n";
  CHECK_FALSE(StickyKeyRing::load(dir.write("many", many), error).has_value());
  CHECK(error.find("more than 16") != std::string::npos);
}

TEST_CASE("StickyKeyRing::generate_random makes a fresh key each time") {
  StickyKeyRing first = StickyKeyRing::generate_random();
  StickyKeyRing second = StickyKeyRing::generate_random();
  REQUIRE(first.keys().size() == 1);
  CHECK(first.encrypting().bytes != second.encrypting().bytes);
  CHECK(first.encrypting().id == sha256_prefix(first.encrypting().bytes));
}

TEST_CASE("StickyKeyRing::from_keys keeps the order and refuses empty or duplicate rings") {
  std::string error;
  std::vector<KeyBytes> keys{key_bytes(9), key_bytes(10)};
  auto ring = StickyKeyRing::from_keys(keys, error);
  REQUIRE(ring.has_value());
  CHECK(ring->encrypting().bytes == keys[0]);
  CHECK(ring->keys()[1].bytes == keys[1]);

  CHECK_FALSE(StickyKeyRing::from_keys({}, error).has_value());
  std::vector<KeyBytes> duplicate{key_bytes(9), key_bytes(9)};
  CHECK_FALSE(StickyKeyRing::from_keys(duplicate, error).has_value());
  CHECK(error.find("same id") != std::string::npos);
}

}  // namespace albatross::upstream
