#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace albatross {

// A contiguous read buffer: [begin, end) holds unread bytes, [end, capacity) is free space.
// Storage is allocated on first use and can be released while a connection idles, so an idle
// keep-alive connection holds no buffer. Growth is explicit (reserve) so callers enforce limits.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  // A moved-from buffer is empty and owns no storage (the defaulted moves would leave it
  // claiming the old capacity over a null pointer).
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::move(other.data_)),
        capacity_(std::exchange(other.capacity_, 0)),
        begin_(std::exchange(other.begin_, 0)),
        end_(std::exchange(other.end_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
    begin_ = std::exchange(other.begin_, 0);
    end_ = std::exchange(other.end_, 0);
    return *this;
  }

  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return capacity_; }
  const char* data() const { return data_.get() + begin_; }
  std::string_view view() const { return {data(), size()}; }

  // Free space after the unread bytes, compacting or allocating so that at least `min_free`
  // bytes are available within a total capacity of `capacity` (never shrinks).
  char* prepare(std::size_t min_free, std::size_t capacity) {
    if (capacity_ - end_ < min_free) {
      if (begin_ > 0 && capacity_ - size() >= min_free) {
        std::memmove(data_.get(), data_.get() + begin_, size());
      } else {
        std::size_t new_capacity = capacity_ > capacity ? capacity_ : capacity;
        if (new_capacity < size() + min_free) new_capacity = size() + min_free;
        std::unique_ptr<char[]> grown(new char[new_capacity]);
        if (size() > 0) std::memcpy(grown.get(), data_.get() + begin_, size());
        data_ = std::move(grown);
        capacity_ = new_capacity;
      }
      end_ -= begin_;
      begin_ = 0;
    }
    return data_.get() + end_;
  }
  std::size_t free_space() const { return capacity_ - end_; }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Drops the storage if no unread bytes remain.
  void release_if_empty() {
    if (empty()) {
      data_.reset();
      capacity_ = begin_ = end_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace albatross
