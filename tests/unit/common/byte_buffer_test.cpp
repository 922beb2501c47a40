#include "albatross/common/byte_buffer.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace albatross {
namespace {

void append(ByteBuffer& buffer, std::string_view text, std::size_t capacity) {
  char* p = buffer.prepare(text.size(), capacity);
  REQUIRE(buffer.free_space() >= text.size());
  std::memcpy(p, text.data(), text.size());
  buffer.commit(text.size());
}

void fill(ByteBuffer& buffer, std::string_view text) {
  char* p = buffer.prepare(text.size(), ByteBuffer::kRecycledCapacity);
  std::memcpy(p, text.data(), text.size());
  buffer.commit(text.size());
}

TEST_CASE("ByteBuffer starts without storage") {
  ByteBuffer b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.capacity() == 0);
  CHECK(b.free_space() == 0);
  CHECK(b.view().empty());
}

TEST_CASE("ByteBuffer prepare allocates the requested capacity; commit publishes bytes") {
  ByteBuffer b;
  char* p = b.prepare(4, 64);
  REQUIRE(p != nullptr);
  CHECK(b.capacity() == 64);
  CHECK(b.free_space() == 64);
  std::memcpy(p, "hello", 5);
  b.commit(5);
  CHECK(b.size() == 5);
  CHECK_FALSE(b.empty());
  CHECK(b.view() == "hello");
  CHECK(b.free_space() == 59);
  // Enough free space: the same storage and position come back, nothing moves.
  const char* before = b.data();
  char* q = b.prepare(10, 64);
  CHECK(q == before + 5);
  CHECK(b.data() == before);
}

TEST_CASE("ByteBuffer consume advances; consuming everything rewinds to the start") {
  ByteBuffer b;
  append(b, "abcdef", 16);
  const char* start = b.data();
  b.consume(2);
  CHECK(b.view() == "cdef");
  CHECK(b.data() == start + 2);
  CHECK(b.free_space() == 10);
  b.consume(4);
  CHECK(b.empty());
  CHECK(b.free_space() == 16);  // rewound: the whole capacity is free again
  CHECK(b.prepare(1, 16) == start);
}

TEST_CASE("ByteBuffer compacts unread bytes to the front instead of growing") {
  ByteBuffer b;
  append(b, "0123456789abcdef", 16);
  CHECK(b.free_space() == 0);
  const char* storage = b.data();
  b.consume(10);
  CHECK(b.view() == "abcdef");
  char* p = b.prepare(8, 16);
  CHECK(b.capacity() == 16);  // no growth: 10 bytes were reclaimable
  CHECK(b.data() == storage);
  CHECK(b.view() == "abcdef");
  CHECK(p == storage + 6);
  CHECK(b.free_space() == 10);
  std::memcpy(p, "XYZ", 3);
  b.commit(3);
  CHECK(b.view() == "abcdefXYZ");
}

TEST_CASE("ByteBuffer grows when compaction is not enough, keeping unread bytes") {
  ByteBuffer b;
  append(b, "0123456789", 10);
  b.consume(3);
  b.prepare(20, 16);
  CHECK(b.capacity() == 27);  // unread 7 + min_free 20 exceeds the requested 16
  CHECK(b.view() == "3456789");
  CHECK(b.free_space() == 20);

  ByteBuffer c;
  append(c, "abc", 8);
  c.prepare(6, 32);  // 5 free, 5 after compaction: grow to the requested capacity
  CHECK(c.capacity() == 32);
  CHECK(c.view() == "abc");
  CHECK(c.free_space() == 29);
}

TEST_CASE("ByteBuffer never shrinks when asked for a smaller capacity") {
  ByteBuffer b;
  b.prepare(1, 128);
  CHECK(b.capacity() == 128);
  b.prepare(1, 16);
  CHECK(b.capacity() == 128);
  append(b, std::string(128, 'x'), 16);
  b.prepare(1, 16);  // full: grows, but from the current capacity
  CHECK(b.capacity() == 129);
  CHECK(b.size() == 128);
}

TEST_CASE("ByteBuffer release_if_empty drops storage only when nothing is unread") {
  ByteBuffer b;
  append(b, "keep", 32);
  b.release_if_empty();
  CHECK(b.capacity() == 32);
  CHECK(b.view() == "keep");
  b.consume(4);
  b.release_if_empty();
  CHECK(b.capacity() == 0);
  CHECK(b.free_space() == 0);
  CHECK(b.empty());
  append(b, "again", 8);
  CHECK(b.view() == "again");
  CHECK(b.capacity() == 8);
}

TEST_CASE("ByteBuffer clear forgets unread bytes but keeps storage") {
  ByteBuffer b;
  append(b, "abc", 8);
  b.clear();
  CHECK(b.empty());
  CHECK(b.capacity() == 8);
  CHECK(b.free_space() == 8);
}

TEST_CASE("ByteBuffer moves its storage") {
  ByteBuffer a;
  append(a, "moved", 16);
  ByteBuffer b(std::move(a));
  CHECK(b.view() == "moved");
  CHECK(b.capacity() == 16);
  ByteBuffer c;
  c = std::move(b);
  CHECK(c.view() == "moved");
}

TEST_CASE("ByteBuffer leaves a moved-from buffer empty and usable") {
  ByteBuffer a;
  append(a, "abc", 16);
  ByteBuffer b(std::move(a));
  CHECK(a.empty());
  CHECK(a.capacity() == 0);
  CHECK(a.free_space() == 0);
  append(a, "fresh", 8);  // must allocate, not write through the moved storage
  CHECK(a.view() == "fresh");
  CHECK(b.view() == "abc");

  ByteBuffer c;
  append(c, "xyz", 4);
  c = std::move(b);
  CHECK(c.view() == "abc");
  CHECK(b.empty());
  CHECK(b.capacity() == 0);
  append(b, "again", 8);
  CHECK(b.view() == "again");
}

TEST_CASE("a released standard block is reused by the next buffer on the same thread") {
  ByteBuffer first;
  fill(first, "x");
  const char* block = first.data();
  first.consume(1);
  std::size_t cached = ByteBuffer::recycled_blocks();
  first.release_if_empty();
  CHECK(ByteBuffer::recycled_blocks() == cached + 1);
  ByteBuffer second;
  fill(second, "y");
  CHECK(ByteBuffer::recycled_blocks() == cached);
  CHECK(second.data() == block);
  CHECK(second.view() == "y");
}

TEST_CASE("only standard blocks are recycled, up to the per-thread bound") {
  // Holding more buffers than the cache keeps empties it: counts below are exact.
  std::vector<ByteBuffer> many(ByteBuffer::kRecycledBlocksPerThread + 4);
  for (ByteBuffer& b : many)
    fill(b, "m");
  REQUIRE(ByteBuffer::recycled_blocks() == 0);
  {
    ByteBuffer big;
    big.prepare(1, ByteBuffer::kRecycledCapacity * 2);
    CHECK(big.capacity() == ByteBuffer::kRecycledCapacity * 2);
  }
  CHECK(ByteBuffer::recycled_blocks() == 0);
  {
    // Growing out of a standard block recycles the standard one; the grown one is freed.
    ByteBuffer grown;
    fill(grown, "a");
    grown.prepare(ByteBuffer::kRecycledCapacity, ByteBuffer::kRecycledCapacity);
    CHECK(grown.view() == "a");
    CHECK(ByteBuffer::recycled_blocks() == 1);
  }
  CHECK(ByteBuffer::recycled_blocks() == 1);
  many.clear();
  CHECK(ByteBuffer::recycled_blocks() == ByteBuffer::kRecycledBlocksPerThread);
}

TEST_CASE("each thread has its own cache, emptied when the thread exits") {
  std::size_t cached_here = ByteBuffer::recycled_blocks();
  std::size_t cached_there = 0;
  std::thread other([&] {
    {
      ByteBuffer b;
      fill(b, "z");
    }
    cached_there = ByteBuffer::recycled_blocks();
  });
  other.join();
  CHECK(cached_there == 1);
  CHECK(ByteBuffer::recycled_blocks() == cached_here);
  // The exited thread's block was freed by its closer (LeakSanitizer checks this under ASan).
}

TEST_CASE("small blocks have their own cache and grow into standard ones") {
  std::size_t small_cached = ByteBuffer::recycled_small_blocks();
  std::size_t cached = ByteBuffer::recycled_blocks();
  const char* block = nullptr;
  {
    ByteBuffer first;
    first.prepare(1, ByteBuffer::kSmallCapacity);
    CHECK(first.capacity() == ByteBuffer::kSmallCapacity);
    block = first.prepare(1, ByteBuffer::kSmallCapacity);
  }
  CHECK(ByteBuffer::recycled_small_blocks() == small_cached + 1);
  CHECK(ByteBuffer::recycled_blocks() == cached);
  ByteBuffer second;
  CHECK(second.prepare(1, ByteBuffer::kSmallCapacity) == block);
  CHECK(ByteBuffer::recycled_small_blocks() == small_cached);
  // A head that outgrows the small block moves to a standard one; the small one is recycled.
  std::memset(second.prepare(1, ByteBuffer::kSmallCapacity), 'h', ByteBuffer::kSmallCapacity);
  second.commit(ByteBuffer::kSmallCapacity);
  second.prepare(1024, ByteBuffer::kRecycledCapacity);
  CHECK(second.capacity() == ByteBuffer::kRecycledCapacity);
  CHECK(second.view() == std::string(ByteBuffer::kSmallCapacity, 'h'));
  CHECK(ByteBuffer::recycled_small_blocks() == small_cached + 1);
}

}  // namespace
}  // namespace albatross
