#include "albatross/common/byte_buffer.hpp"

namespace albatross {
namespace {

// Released blocks of ByteBuffer::kRecycledCapacity, most recent last. Trivially destructible,
// so buffers freed late in a thread's exit (after the closer ran) still find it valid, and
// `closed` sends them straight to delete[]. Thread: its own.
struct BlockCache {
  char* blocks[ByteBuffer::kRecycledBlocksPerThread];
  std::size_t count;
  bool closed;
};

thread_local BlockCache block_cache{};

// Frees the cached blocks when the thread exits. Constructed by the first block cached.
struct BlockCacheCloser {
  bool armed = false;
  ~BlockCacheCloser() {
    block_cache.closed = true;
    while (block_cache.count > 0)
      delete[] block_cache.blocks[--block_cache.count];
  }
};

thread_local BlockCacheCloser block_cache_closer;

}  // namespace

char* ByteBuffer::allocate_block(std::size_t capacity) {
  if (capacity == kRecycledCapacity && block_cache.count > 0) {
    return block_cache.blocks[--block_cache.count];
  }
  return new char[capacity];
}

std::size_t ByteBuffer::recycled_blocks() {
  return block_cache.count;
}

void ByteBuffer::free_block(char* block, std::size_t capacity) noexcept {
  if (block == nullptr) return;
  if (capacity == kRecycledCapacity && !block_cache.closed &&
      block_cache.count < kRecycledBlocksPerThread) {
    block_cache_closer.armed = true;
    block_cache.blocks[block_cache.count++] = block;
    return;
  }
  delete[] block;
}

}  // namespace albatross
