#include "support/scripted_target.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string_view>

namespace albatross::testing {
namespace {

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The body length a request head announces, read line by line the way albatross frames what it
// forwards: "Transfer-Encoding: ...chunked" (returned as npos, the body ends with the last
// chunk) or one Content-Length; 0 for neither.
std::size_t announced_body(std::string_view head) {
  std::size_t length = 0;
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    std::size_t start = at + 2;
    std::size_t eol = head.find("\r\n", start);
    if (eol == std::string_view::npos) break;
    std::string line(head.substr(start, eol - start));
    std::transform(line.begin(), line.end(), line.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (line.starts_with("transfer-encoding:") && line.ends_with("chunked")) {
      return std::string::npos;
    }
    if (line.starts_with("content-length:")) {
      // Digits after optional spaces; anything else frames no body (and fails the test that
      // checks what was forwarded, not this thread).
      length = 0;
      std::size_t i = line.find_first_not_of(' ', 15);
      for (; i < line.size() && line[i] >= '0' && line[i] <= '9' && length < (1u << 30); ++i)
        length = length * 10 + static_cast<std::size_t>(line[i] - '0');
    }
    at = eol;
  }
  return length;
}

// Reads until `buffer` holds a complete request; returns its length, 0 when the peer left
// (`peer_closed` is then set). Every byte read is passed to `received`.
std::size_t read_request(int fd, std::string& buffer, bool& peer_closed,
                         const std::function<void(std::string_view)>& received) {
  auto complete = [&]() -> std::size_t {
    std::size_t end = buffer.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    std::size_t head = end + 4;
    std::size_t length = announced_body(std::string_view(buffer).substr(0, head));
    if (length == std::string::npos) {
      std::size_t last = buffer.find("\r\n0\r\n\r\n", head - 2);
      return last == std::string::npos ? 0 : last + 7;
    }
    return buffer.size() >= head + length ? head + length : 0;
  };
  for (;;) {
    if (std::size_t n = complete()) return n;
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      peer_closed = true;
      return 0;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    received(std::string_view(chunk, static_cast<std::size_t>(n)));
  }
}

}  // namespace

ScriptedTarget::ScriptedTarget(Script script) : script_(std::move(script)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::runtime_error("scripted target: " + std::string(std::strerror(errno)));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedTarget::~ScriptedTarget() {
  stopping_ = true;
  [[maybe_unused]] auto n = ::write(wake_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> servers;
  {
    std::lock_guard lock(mutex_);
    // Wakes every connection thread blocked in recv.
    for (int fd : open_fds_)
      ::shutdown(fd, SHUT_RDWR);
    servers = std::move(servers_);
  }
  for (auto& t : servers)
    t.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::vector<std::string> ScriptedTarget::requests_seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

void ScriptedTarget::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (stopping_ || fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    std::size_t index = connection_logs_.size();
    connection_logs_.emplace_back();
    ++connections_;
    open_fds_.push_back(fd);
    servers_.emplace_back([this, fd, index] { serve(fd, index); });
  }
}

void ScriptedTarget::serve(int fd, std::size_t connection) {
  std::string buffer;
  bool peer_closed = false;
  auto received = [&](std::string_view bytes) {
    std::lock_guard lock(mutex_);
    connection_logs_[connection].received.append(bytes);
    bytes_received_ += bytes.size();
  };
  for (;;) {
    std::size_t length = read_request(fd, buffer, peer_closed, received);
    if (length == 0 || stopping_) break;
    std::string request = buffer.substr(0, length);
    buffer.erase(0, length);
    std::size_t index = requests_++;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(request);
      seen_connections_.push_back(connection);
    }
    Reply reply = script_(index, request);
    if (!reply.bytes.empty() && !write_all(fd, reply.bytes)) break;
    if (reply.close) break;
  }
  std::lock_guard lock(mutex_);
  connection_logs_[connection].peer_closed = peer_closed && !stopping_;
  open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
  ::close(fd);
}

std::vector<std::size_t> ScriptedTarget::request_connections() const {
  std::lock_guard lock(mutex_);
  return seen_connections_;
}

std::string ScriptedTarget::received_on(std::size_t connection) const {
  std::lock_guard lock(mutex_);
  return connection_logs_.at(connection).received;
}

bool ScriptedTarget::closed_by_peer(std::size_t connection) const {
  std::lock_guard lock(mutex_);
  return connection_logs_.at(connection).peer_closed;
}

std::size_t ScriptedTarget::bytes_received() const {
  std::lock_guard lock(mutex_);
  return bytes_received_;
}

}  // namespace albatross::testing
