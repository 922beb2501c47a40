#include "support/http_client.hpp"

#include "albatross/common/ascii.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace albatross::testing {
namespace {

int timeout_until(TimePoint deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
}

// The last element of a comma-separated list, trimmed.
std::string_view last_element(std::string_view list) {
  auto comma = list.rfind(',');
  return ascii::trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

}  // namespace

HttpClient::HttpClient(std::uint16_t port, std::string host)
    : host_(std::move(host)), port_(port) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void HttpClient::shutdown_send() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool HttpClient::try_connect(TimePoint deadline) {
  close();
  buffer_.clear();
  unexpected_.clear();
  error_.clear();
  server_closed_ = false;
  reset_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (receive_buffer_ > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof receive_buffer_);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + host_);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) {
      error_ = std::strerror(errno);
      close();
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int rc = ::poll(&p, 1, timeout_until(deadline));
    int so_error = 0;
    socklen_t length = sizeof so_error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &length);
    if (rc <= 0 || so_error != 0) {
      error_ = rc <= 0 ? "connect timed out" : std::strerror(so_error);
      close();
      return false;
    }
  }
  return true;
}

void HttpClient::connect(TimePoint deadline) {
  if (!try_connect(deadline)) {
    throw std::runtime_error("cannot connect to " + host_ + ":" + std::to_string(port_) + ": " +
                             error_);
  }
}

bool HttpClient::send(std::string_view bytes, TimePoint deadline) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int rc = ::poll(&p, 1, timeout_until(deadline));
      if (rc == 0 && Clock::now() >= deadline) {
        error_ = "send timed out";
        return false;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool HttpClient::send_repeated(std::string_view piece, std::uint64_t count, TimePoint deadline) {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!send(piece, deadline)) return false;
  }
  return true;
}

HttpClient::ReadStatus HttpClient::read_more(TimePoint deadline, std::size_t max) {
  if (fd_ < 0 || server_closed_) return ReadStatus::closed;
  char chunk[64 * 1024];
  max = std::min(max, sizeof chunk);
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, max, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return ReadStatus::data;
    }
    if (n == 0) {
      server_closed_ = true;
      return ReadStatus::closed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, timeout_until(deadline));
      if (rc == 0 && Clock::now() >= deadline) return ReadStatus::timeout;
      continue;
    }
    reset_ = errno == ECONNRESET;
    error_ = std::string("recv: ") + std::strerror(errno);
    server_closed_ = true;
    return ReadStatus::closed;
  }
}

std::optional<HttpResponse> HttpClient::parse_head(TimePoint deadline) {
  chunk_state_ = ChunkState::size;
  chunk_left_ = 0;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    ReadStatus status = read_more(deadline);
    if (status == ReadStatus::timeout) {
      error_ = "timed out waiting for a response head (" + std::to_string(buffer_.size()) +
               " bytes so far)";
      return std::nullopt;
    }
    if (status == ReadStatus::closed) {
      if (error_.empty() || buffer_.empty()) {
        error_ = "connection closed before a complete response head";
      }
      if (!buffer_.empty()) error_ += " (got \"" + buffer_.substr(0, 200) + "\")";
      return std::nullopt;
    }
  }
  std::string_view head(buffer_.data(), end + 2);
  HttpResponse response;
  std::size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  std::size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.size() < sp1 + 4) {
    error_ = "malformed status line: " + std::string(status_line);
    return std::nullopt;
  }
  response.version = std::string(status_line.substr(0, sp1));
  response.status = std::atoi(std::string(status_line.substr(sp1 + 1, 3)).c_str());
  if (status_line.size() > sp1 + 5) response.reason = std::string(status_line.substr(sp1 + 5));
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = "malformed header line: " + std::string(line);
      return std::nullopt;
    }
    response.headers.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(ascii::trim_ows(line.substr(colon + 1))));
  }
  buffer_.erase(0, end + 4);
  return response;
}

std::optional<HttpResponse> HttpClient::read_head(TimePoint deadline) {
  return parse_head(deadline);
}

bool HttpClient::decode_chunks(std::string* out, std::uint64_t& size, bool& bad) {
  for (;;) {
    switch (chunk_state_) {
      case ChunkState::size: {
        std::size_t eol = buffer_.find("\r\n");
        if (eol == std::string::npos) return false;
        std::string line = buffer_.substr(0, buffer_.find_first_of(";\r"));
        char* end = nullptr;
        chunk_left_ = std::strtoull(line.c_str(), &end, 16);
        if (line.empty() || *end != '\0') {
          error_ = "bad chunk size line: " + buffer_.substr(0, eol);
          bad = true;
          return false;
        }
        buffer_.erase(0, eol + 2);
        chunk_state_ = chunk_left_ == 0 ? ChunkState::trailers : ChunkState::data;
        break;
      }
      case ChunkState::data: {
        if (buffer_.empty()) return false;
        std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk_left_, static_cast<std::uint64_t>(buffer_.size())));
        if (out) out->append(buffer_, 0, take);
        size += take;
        buffer_.erase(0, take);
        chunk_left_ -= take;
        if (chunk_left_ > 0) return false;
        chunk_state_ = ChunkState::data_crlf;
        break;
      }
      case ChunkState::data_crlf:
        if (buffer_.size() < 2) return false;
        if (buffer_.compare(0, 2, "\r\n") != 0) {
          error_ = "chunk data not followed by CRLF";
          bad = true;
          return false;
        }
        buffer_.erase(0, 2);
        chunk_state_ = ChunkState::size;
        break;
      case ChunkState::trailers: {
        std::size_t eol = buffer_.find("\r\n");
        if (eol == std::string::npos) return false;
        buffer_.erase(0, eol + 2);
        if (eol == 0) {
          chunk_state_ = ChunkState::done;
          return true;
        }
        break;
      }
      case ChunkState::done:
        return true;
    }
  }
}

std::optional<HttpResponse> HttpClient::read_response(TimePoint deadline, ReadOptions options) {
  std::optional<HttpResponse> response = parse_head(deadline);
  if (!response) return response;
  HttpResponse& r = *response;
  std::string* sink = options.discard_body ? nullptr : &r.body;
  bool no_body = options.head_request || (r.status >= 100 && r.status < 200) || r.status == 204 ||
                 r.status == 304;
  if (no_body) {
    r.complete = true;
    return response;
  }
  std::optional<std::string> te = r.header("transfer-encoding");
  std::optional<std::string> cl = r.header("content-length");
  if (te && ascii::iequals(last_element(*te), "chunked")) {
    bool bad = false;
    for (;;) {
      if (decode_chunks(sink, r.body_size, bad)) {
        r.complete = true;
        break;
      }
      if (bad) break;
      ReadStatus status = read_more(deadline);
      if (status != ReadStatus::data) {
        error_ = status == ReadStatus::timeout ? "timed out in a chunked body"
                                               : "connection closed in a chunked body";
        break;
      }
    }
    return response;
  }
  if (cl) {
    std::uint64_t length = std::stoull(*cl);
    for (;;) {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(
          length - r.body_size, static_cast<std::uint64_t>(buffer_.size())));
      if (sink) sink->append(buffer_, 0, take);
      buffer_.erase(0, take);
      r.body_size += take;
      if (r.body_size == length) {
        r.complete = true;
        break;
      }
      ReadStatus status = read_more(deadline);
      if (status != ReadStatus::data) {
        error_ = (status == ReadStatus::timeout ? "timed out after " : "connection closed after ") +
                 std::to_string(r.body_size) + " of " + std::to_string(length) + " body bytes";
        break;
      }
    }
    return response;
  }
  // Delimited by the close of the connection.
  for (;;) {
    if (sink) sink->append(buffer_);
    r.body_size += buffer_.size();
    buffer_.clear();
    ReadStatus status = read_more(deadline);
    if (status == ReadStatus::closed) {
      r.complete = !reset_;
      break;
    }
    if (status == ReadStatus::timeout) {
      error_ = "timed out in a body delimited by close";
      break;
    }
  }
  return response;
}

std::vector<TimedEvent> HttpClient::read_sse_events(TimePoint deadline) {
  std::vector<TimedEvent> events;
  std::string pending;
  std::uint64_t size = 0;
  bool bad = false;
  for (;;) {
    bool done = decode_chunks(&pending, size, bad);
    auto now = Clock::now();
    for (std::size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
      events.push_back(TimedEvent{pending.substr(0, end), now});
      pending.erase(0, end + 2);
    }
    if (done || bad) break;
    if (read_more(deadline) != ReadStatus::data) {
      error_ = "event stream ended before its last chunk";
      break;
    }
  }
  return events;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view extra_headers, std::string_view body,
                                 TimePoint deadline) {
  if (!is_open() || server_closed_) connect(deadline);
  std::string text;
  text.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  text.append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  text.append(extra_headers);
  if (!body.empty()) text.append("Content-Length: ").append(std::to_string(body.size()));
  if (!body.empty()) text.append("\r\n");
  text.append("\r\n").append(body);
  if (!send(text, deadline)) {
    throw std::runtime_error("cannot send " + std::string(method) + " " + std::string(target) +
                             ": " + error_);
  }
  ReadOptions options;
  options.head_request = method == "HEAD";
  std::optional<HttpResponse> response = read_response(deadline, options);
  if (!response || !response->complete) {
    throw std::runtime_error("no complete response to " + std::string(method) + " " +
                             std::string(target) + ": " + error_);
  }
  return std::move(*response);
}

bool HttpClient::wait_closed(TimePoint deadline) {
  for (;;) {
    unexpected_.append(buffer_);
    buffer_.clear();
    ReadStatus status = read_more(deadline);
    if (status == ReadStatus::closed) {
      unexpected_.append(buffer_);
      buffer_.clear();
      return true;
    }
    if (status == ReadStatus::timeout) return false;
  }
}

}  // namespace albatross::testing
