#include "albatross/accesslog/access_log_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::accesslog {

std::shared_ptr<AccessLogSink> AccessLogSink::open(const std::string& destination, Format format,
                                                   metrics::Counter& dropped_batches,
                                                   std::string& error,
                                                   std::size_t max_queued_bytes) {
  if (destination == "stderr" || destination == "stdout") {
    int fd = destination == "stderr" ? STDERR_FILENO : STDOUT_FILENO;
    return std::shared_ptr<AccessLogSink>(
        new AccessLogSink(destination, format, fd, false, dropped_batches, max_queued_bytes));
  }
  int fd = ::open(destination.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = str_cat("cannot open access log ", destination, ": ", std::strerror(errno));
    return nullptr;
  }
  return std::shared_ptr<AccessLogSink>(
      new AccessLogSink(destination, format, fd, true, dropped_batches, max_queued_bytes));
}

AccessLogSink::AccessLogSink(std::string destination, Format format, int fd, bool owns_fd,
                             metrics::Counter& dropped_batches, std::size_t max_queued_bytes)
    : destination_(std::move(destination)),
      format_(format),
      fd_(fd),
      owns_fd_(owns_fd),
      dropped_(dropped_batches),
      max_queued_bytes_(max_queued_bytes) {
  thread_ = std::thread([this] { run(); });
}

AccessLogSink::~AccessLogSink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (owns_fd_) ::close(fd_);
}

void AccessLogSink::submit(std::string batch) {
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + batch.size() > max_queued_bytes_) {
      dropped_.inc();
      return;
    }
    queued_bytes_ += batch.size();
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
}

void AccessLogSink::flush() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

bool AccessLogSink::reopen_file() {
  if (!owns_fd_) return true;
  int fd = ::open(destination_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    log::error("cannot reopen access log ", destination_, ": ", std::strerror(errno),
               "; still writing to the old file");
    return false;
  }
  ::close(fd_);
  fd_ = fd;
  log::info("access log reopened: ", destination_);
  return true;
}

void AccessLogSink::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock,
             [&] { return stop_ || !queue_.empty() || reopen_.load(std::memory_order_acquire); });
    if (reopen_.exchange(false, std::memory_order_acq_rel)) {
      lock.unlock();
      reopen_file();
      lock.lock();
    }
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    std::string batch = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= batch.size();
    writing_ = true;
    lock.unlock();
    std::size_t written = 0;
    while (written < batch.size()) {
      ssize_t n = ::write(fd_, batch.data() + written, batch.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        dropped_.inc();  // a write error loses the batch too
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

bool AccessLogBuffer::append(const std::shared_ptr<AccessLogSink>& sink,
                             const AccessLogRecord& record) {
  if (sink_ != sink) {
    flush();
    sink_ = sink;
  }
  bool first = lines_.empty();
  format_record(record, sink_->format(), lines_);
  if (lines_.size() >= kBatch) {
    flush();
    return false;
  }
  return first;
}

void AccessLogBuffer::flush() {
  if (!lines_.empty() && sink_) {
    std::string batch;
    batch.reserve(kBatch + 1024);
    batch.swap(lines_);
    sink_->submit(std::move(batch));
  }
}

}  // namespace albatross::accesslog
