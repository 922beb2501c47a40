#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace albatross {

// A contiguous read buffer: [begin, end) holds unread bytes, [end, capacity) is free space.
// Storage is allocated on first use and can be released while a connection idles, so an idle
// keep-alive connection holds no buffer. Growth is explicit (reserve) so callers enforce limits.
// Blocks of kRecycledCapacity and kSmallCapacity go back to small per-thread caches when
// released: a keep-alive connection releases and takes one per exchange, and malloc/free of
// blocks this size costs more than the rest of the buffer handling.
class ByteBuffer {
 public:
  // The capacity the request path asks for; only blocks of exactly this size are recycled.
  static constexpr std::size_t kRecycledCapacity = 16 * 1024;
  // Blocks kept per thread (kRecycledCapacity each); beyond that they are freed.
  static constexpr std::size_t kRecycledBlocksPerThread = 32;
  // The capacity a small exchange starts with (most request and response heads fit), so that
  // thousands of connections in flight do not each hold kRecycledCapacity; recycled as well.
  static constexpr std::size_t kSmallCapacity = 2 * 1024;
  static constexpr std::size_t kSmallBlocksPerThread = 64;

  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        begin_(std::exchange(other.begin_, 0)),
        end_(std::exchange(other.end_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
      free_block(data_, capacity_);
      data_ = std::exchange(other.data_, nullptr);
      capacity_ = std::exchange(other.capacity_, 0);
      begin_ = std::exchange(other.begin_, 0);
      end_ = std::exchange(other.end_, 0);
    }
    return *this;
  }
  ~ByteBuffer() { free_block(data_, capacity_); }

  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return capacity_; }
  const char* data() const { return data_ + begin_; }
  std::string_view view() const { return {data(), size()}; }

  // Free space after the unread bytes, compacting or allocating so that at least `min_free`
  // bytes are available within a total capacity of `capacity` (never shrinks).
  char* prepare(std::size_t min_free, std::size_t capacity) {
    if (capacity_ - end_ < min_free) {
      if (begin_ > 0 && capacity_ - size() >= min_free) {
        std::memmove(data_, data_ + begin_, size());
      } else {
        std::size_t new_capacity = capacity_ > capacity ? capacity_ : capacity;
        if (new_capacity < size() + min_free) new_capacity = size() + min_free;
        char* grown = allocate_block(new_capacity);
        if (size() > 0) std::memcpy(grown, data_ + begin_, size());
        free_block(data_, capacity_);
        data_ = grown;
        capacity_ = new_capacity;
      }
      end_ -= begin_;
      begin_ = 0;
    }
    return data_ + end_;
  }
  std::size_t free_space() const { return capacity_ - end_; }
  // Moves the unread bytes into a block of `capacity` when the current one is smaller (a body
  // read after a head that fit in a small block gets full-size reads).
  void grow_to(std::size_t capacity) {
    if (capacity_ < capacity && size() < capacity) prepare(capacity - size(), capacity);
  }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Drops the storage if no unread bytes remain.
  void release_if_empty() {
    if (empty()) {
      free_block(data_, capacity_);
      data_ = nullptr;
      capacity_ = begin_ = end_ = 0;
    }
  }

  // Blocks waiting in this thread's cache.
  static std::size_t recycled_blocks();
  static std::size_t recycled_small_blocks();

 private:
  // new[]/delete[], except that blocks of kRecycledCapacity or kSmallCapacity come from and go
  // to this thread's caches. A block may be freed on another thread than the one that allocated it.
  static char* allocate_block(std::size_t capacity);
  static void free_block(char* block, std::size_t capacity) noexcept;

  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace albatross
