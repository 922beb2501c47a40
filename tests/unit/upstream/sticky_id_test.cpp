#include "albatross/upstream/sticky_id.hpp"

#include <doctest/doctest.h>

namespace albatross::upstream {

TEST_CASE("sticky ids are the first 8 bytes of SHA-256, the same in every process") {
  // FIPS 180-2 test vectors: SHA-256("abc") = ba7816bf8f01cfea..., SHA-256("") = e3b0c442...
  CHECK(stable_sticky_id("abc") == 0xba7816bf8f01cfeaULL);
  CHECK(stable_sticky_id("") == 0xe3b0c44298fc1c14ULL);
  CHECK(sticky_group_id("abc") == 0xba7816bf8f01cfeaULL);
  CHECK(sticky_group_id("web") != sticky_group_id("api"));
}

}  // namespace albatross::upstream
