#include "albatross/common/byte_buffer.hpp"

namespace albatross {
namespace {

// Released blocks of one recycled capacity, most recent last. Trivially destructible, so buffers
// freed late in a thread's exit (after the closer ran) still find it valid, and `closed` sends
// them straight to delete[]. Thread: its own.
template <std::size_t Capacity, std::size_t Slots>
struct BlockCache {
  static constexpr std::size_t kCapacity = Capacity;
  char* blocks[Slots];
  std::size_t count;
  bool closed;

  char* take() { return count > 0 ? blocks[--count] : nullptr; }
  bool keep(char* block) {
    if (closed || count == Slots) return false;
    blocks[count++] = block;
    return true;
  }
  void close() {
    closed = true;
    while (count > 0)
      delete[] blocks[--count];
  }
};

thread_local BlockCache<ByteBuffer::kRecycledCapacity, ByteBuffer::kRecycledBlocksPerThread>
    large_cache{};
thread_local BlockCache<ByteBuffer::kSmallCapacity, ByteBuffer::kSmallBlocksPerThread>
    small_cache{};

// Frees the cached blocks when the thread exits. Constructed by the first block cached.
struct BlockCacheCloser {
  bool armed = false;
  ~BlockCacheCloser() {
    large_cache.close();
    small_cache.close();
  }
};

thread_local BlockCacheCloser block_cache_closer;

}  // namespace

char* ByteBuffer::allocate_block(std::size_t capacity) {
  char* block = nullptr;
  if (capacity == kRecycledCapacity) block = large_cache.take();
  if (capacity == kSmallCapacity) block = small_cache.take();
  return block != nullptr ? block : new char[capacity];
}

std::size_t ByteBuffer::recycled_blocks() {
  return large_cache.count;
}

std::size_t ByteBuffer::recycled_small_blocks() {
  return small_cache.count;
}

void ByteBuffer::free_block(char* block, std::size_t capacity) noexcept {
  if (block == nullptr) return;
  bool kept = false;
  if (capacity == kRecycledCapacity) kept = large_cache.keep(block);
  if (capacity == kSmallCapacity) kept = small_cache.keep(block);
  if (kept) {
    block_cache_closer.armed = true;
    return;
  }
  delete[] block;
}

}  // namespace albatross
