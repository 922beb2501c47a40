#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_response.hpp"
#include "support/timed_event.hpp"
#include "support/wait.hpp"

namespace albatross::testing {

// A blocking HTTP/1.x client over a raw loopback socket, for saying exactly the bytes a test
// wants and seeing exactly what comes back. Every call takes a deadline (poll-based; nothing
// sleeps). One connection at a time, reused across requests until either side closes it.
// Thread: one thread at a time.
class HttpClient {
 public:
  struct ReadOptions {
    bool head_request = false;  // the response to HEAD has no body whatever it declares
    bool discard_body = false;  // count the body bytes but do not keep them
  };

  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Opens a new connection (closing any open one). Throws if it cannot by `deadline`.
  void connect(TimePoint deadline = after(std::chrono::seconds(5)));
  // Like connect(), but false when the connection is refused or not accepted by `deadline`.
  bool try_connect(TimePoint deadline);
  bool is_open() const { return fd_ >= 0; }
  // SO_RCVBUF for the connections opened from now on (0: the system's), for a client that reads
  // slowly or not at all: the kernel then buffers little of what the server sends.
  void set_receive_buffer(int bytes) { receive_buffer_ = bytes; }
  void close();
  // Half-closes: the server sees end of input, the client can still read.
  void shutdown_send();

  // Sends all of `bytes`; false when the connection fails or the deadline passes first.
  [[nodiscard]] bool send(std::string_view bytes, TimePoint deadline);
  // Sends `piece` `count` times (large bodies without holding them in memory).
  [[nodiscard]] bool send_repeated(std::string_view piece, std::uint64_t count, TimePoint deadline);

  // Reads the next response (1xx included). nullopt when the head did not arrive complete
  // (closed, reset, deadline, or malformed: see error()). A response whose body was cut off is
  // returned with complete == false.
  std::optional<HttpResponse> read_response(TimePoint deadline, ReadOptions options);
  std::optional<HttpResponse> read_response(TimePoint deadline) {
    return read_response(deadline, ReadOptions());
  }
  // Reads only the head of the next response; its body stays to be read (read_sse_events).
  std::optional<HttpResponse> read_head(TimePoint deadline);
  // After read_head() of a chunked text/event-stream response: reads the body to its end,
  // stamping each event ("...\n\n") with the time its last byte arrived.
  std::vector<TimedEvent> read_sse_events(TimePoint deadline);

  // Connects if needed, sends a request and reads its response. `extra_headers` are complete
  // CRLF-terminated lines; Host is added, and Content-Length when `body` is not empty. Throws
  // when no complete response arrives by the deadline.
  HttpResponse request(std::string_view method, std::string_view target,
                       std::string_view extra_headers = "", std::string_view body = "",
                       TimePoint deadline = after(std::chrono::seconds(10)));
  HttpResponse get(std::string_view target, TimePoint deadline = after(std::chrono::seconds(10))) {
    return request("GET", target, "", "", deadline);
  }

  // Waits for the server to close the connection: true on EOF or reset before `deadline`.
  // Bytes that arrive meanwhile are kept in unexpected().
  bool wait_closed(TimePoint deadline);
  // True once a read saw the server close (EOF) or reset the connection.
  bool server_closed() const { return server_closed_; }
  bool was_reset() const { return reset_; }
  const std::string& unexpected() const { return unexpected_; }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }

 private:
  enum class ReadStatus { data, closed, timeout };
  ReadStatus read_more(TimePoint deadline, std::size_t max = 64 * 1024);
  std::optional<HttpResponse> parse_head(TimePoint deadline);
  // Decodes chunked framing from buffer_ into `out` (when not null); true once the last chunk
  // and trailers are consumed. Sets error_ and returns false on bad framing.
  bool decode_chunks(std::string* out, std::uint64_t& size, bool& bad);

  std::string host_;
  std::uint16_t port_;
  int fd_ = -1;
  int receive_buffer_ = 0;
  std::string buffer_;  // received, not yet consumed
  bool server_closed_ = false;
  bool reset_ = false;
  std::string unexpected_;
  std::string error_;
  // Chunked decoder state, per response.
  enum class ChunkState { size, data, data_crlf, trailers, done };
  ChunkState chunk_state_ = ChunkState::size;
  std::uint64_t chunk_left_ = 0;
};

}  // namespace albatross::testing
