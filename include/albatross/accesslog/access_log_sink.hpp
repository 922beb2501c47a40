#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "albatross/accesslog/access_log_record.hpp"
#include "albatross/metrics/sharded.hpp"

namespace albatross::accesslog {

// Where access-log lines go: stderr, stdout or a file, written by a dedicated thread so the
// event loops never wait on the disk. Workers hand over whole batches of lines (one lock per
// batch, not per request). reopen() (SIGUSR1, after logrotate moved the file) makes the writer
// reopen the path before its next write. Thread: submit() and reopen() from any thread.
class AccessLogSink {
 public:
  // Beyond this much unwritten log (a stalled disk), batches are dropped and counted rather
  // than letting memory grow without bound.
  static constexpr std::size_t kMaxQueuedBytes = 64 * 1024 * 1024;

  // `destination`: "stderr", "stdout" or a file path (created 0640, appended to). Each batch
  // dropped (`max_queued_bytes` already waiting, or a failed write) counts once in
  // `dropped_batches` (albatross_access_log_dropped_batches_total), which must outlive the sink.
  static std::shared_ptr<AccessLogSink> open(const std::string& destination, Format format,
                                             metrics::Counter& dropped_batches, std::string& error,
                                             std::size_t max_queued_bytes = kMaxQueuedBytes);
  ~AccessLogSink();

  Format format() const { return format_; }
  const std::string& destination() const { return destination_; }
  void submit(std::string batch);
  void reopen() {
    reopen_.store(true, std::memory_order_release);
    cv_.notify_one();
  }
  // Blocks until every submitted batch is written (tests, shutdown).
  void flush();

 private:
  AccessLogSink(std::string destination, Format format, int fd, bool owns_fd,
                metrics::Counter& dropped_batches, std::size_t max_queued_bytes);
  void run();
  bool reopen_file();

  std::string destination_;
  Format format_;
  int fd_;
  bool owns_fd_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool stop_ = false;
  std::atomic<bool> reopen_{false};
  metrics::Counter& dropped_;
  std::size_t max_queued_bytes_;
  std::thread thread_;
};

// A worker's pending lines: formatted on the request path into one string, handed to the sink
// when it reaches kBatch bytes or when the worker's flush timer fires. Thread: one worker.
class AccessLogBuffer {
 public:
  static constexpr std::size_t kBatch = 32 * 1024;

  // Returns true when this append started a new batch (the caller arms its flush timer).
  bool append(const std::shared_ptr<AccessLogSink>& sink, const AccessLogRecord& record);
  void flush();
  bool empty() const { return lines_.empty(); }

 private:
  std::shared_ptr<AccessLogSink> sink_;
  std::string lines_;
};

}  // namespace albatross::accesslog
