#pragma once

#include <boost/asio/buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "albatross/accesslog/access_log_record.hpp"
#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/coroutine.hpp"

namespace albatross::http {

// The client side of an exchange as the stages see it: the only place that touches client
// bytes. A downstream HTTP/1.1 connection implements it over a TCP socket or a TLS stream.
// Thread: the worker's.
class DownstreamIo {
 public:
  using Clock = std::chrono::steady_clock;

  enum class ReadStatus : std::uint8_t { ok, eof, timed_out, failed };
  struct ReadResult {
    ReadStatus status = ReadStatus::failed;
    std::size_t bytes = 0;
  };

  // Writes every byte within the listener's idle_timeout; false when the client left or read
  // too slowly (the connection is then reset on close). `more`: more of this response follows
  // at once (lets the kernel send full segments).
  virtual awaitable<bool> write(std::span<const boost::asio::const_buffer> buffers, bool more) = 0;
  // Reads more bytes into `buffer` (up to `capacity`) before `deadline`. `expect_data`: bytes
  // are probably there already. `exclusive`: no write to the client is pending meanwhile.
  virtual awaitable<ReadResult> read(ByteBuffer& buffer, std::size_t capacity,
                                     Clock::time_point deadline, bool expect_data,
                                     bool exclusive) = 0;
  // Ends the client's direction of a tunnel (the target closed its half).
  virtual void shutdown_send() = 0;
  // Cancels whatever waits on the client (a tunnel's other direction failed).
  virtual void cancel() = 0;
  // Fills the record's TLS fields (cipher, protocol, SNI); nothing for plain connections.
  virtual void describe_tls(accesslog::AccessLogRecord& record) = 0;

  // Bytes moved since the last access-log line; the exchange takes and resets them.
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_bytes = 0;

 protected:
  ~DownstreamIo() = default;
};

}  // namespace albatross::http
