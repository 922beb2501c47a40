// Sticky cookie values as a client may send them: StickyCodec::decode under a fixed key. No
// crash, no sanitizer report, and nothing but a value sealed by the key decodes: a value that
// decodes is re-sealed (same payload) and that decodes to the same payload again.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "albatross/upstream/sticky_codec.hpp"

namespace {

using namespace albatross::upstream;

const StickyCodec& codec() {
  static const StickyCodec instance = [] {
    std::array<unsigned char, StickyKey::kSize> key{};
    for (std::size_t i = 0; i < key.size(); ++i)
      key[i] = static_cast<unsigned char>(i * 7 + 1);
    std::string error;
    auto ring = StickyKeyRing::from_keys(std::span(&key, 1), error);
    if (!ring) std::abort();
    return StickyCodec(std::move(*ring));
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  DecodeResult result = codec().decode(value);
  if (!result.ok()) return 0;
  // Only a value sealed under the key opens; finding one by mutation would mean forgery.
  std::string again = codec().encode(result.payload);
  DecodeResult reopened = codec().decode(again);
  if (!reopened.ok() || !(reopened.payload == result.payload)) std::abort();
  return 0;
}
