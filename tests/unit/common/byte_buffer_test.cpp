#include "albatross/common/byte_buffer.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace albatross {
namespace {

void fill(ByteBuffer& buffer, std::string_view text) {
  char* p = buffer.prepare(text.size(), ByteBuffer::kRecycledCapacity);
  std::memcpy(p, text.data(), text.size());
  buffer.commit(text.size());
}

TEST_CASE("ByteBuffer keeps unread bytes across consume, compaction and growth") {
  ByteBuffer buffer;
  CHECK(buffer.capacity() == 0);
  fill(buffer, "hello world");
  CHECK(buffer.capacity() == ByteBuffer::kRecycledCapacity);
  buffer.consume(6);
  CHECK(buffer.view() == "world");
  // Needs more than the free tail: compacts in place.
  std::size_t tail = buffer.free_space();
  buffer.prepare(tail + 1, ByteBuffer::kRecycledCapacity);
  CHECK(buffer.view() == "world");
  CHECK(buffer.capacity() == ByteBuffer::kRecycledCapacity);
  // Needs more than the capacity: grows, keeping the bytes.
  buffer.prepare(ByteBuffer::kRecycledCapacity, ByteBuffer::kRecycledCapacity);
  CHECK(buffer.view() == "world");
  CHECK(buffer.capacity() == ByteBuffer::kRecycledCapacity + 5);
  ByteBuffer moved = std::move(buffer);
  CHECK(moved.view() == "world");
  CHECK(buffer.capacity() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST_CASE("ByteBuffer releases storage only when empty") {
  ByteBuffer buffer;
  fill(buffer, "abc");
  buffer.release_if_empty();
  CHECK(buffer.view() == "abc");
  buffer.consume(3);
  buffer.release_if_empty();
  CHECK(buffer.capacity() == 0);
  CHECK(buffer.empty());
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

}  // namespace
}  // namespace albatross
