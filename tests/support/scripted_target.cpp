#include "support/scripted_target.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

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

// Reads until `buffer` holds a complete request; returns its length, 0 when the peer left.
std::size_t read_request(int fd, std::string& buffer) {
  auto complete = [&]() -> std::size_t {
    std::size_t end = buffer.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    std::size_t head = end + 4;
    std::string lower = buffer.substr(0, head);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      std::size_t last = buffer.find("\r\n0\r\n\r\n", head - 2);
      return last == std::string::npos ? 0 : last + 7;
    }
    std::size_t cl = lower.find("content-length: ");
    if (cl != std::string::npos) {
      std::size_t length = std::stoull(lower.substr(cl + 16));
      return buffer.size() >= head + length ? head + length : 0;
    }
    return head;
  };
  for (;;) {
    if (std::size_t n = complete()) return n;
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<std::size_t>(n));
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
    ++connections_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    servers_.emplace_back([this, fd] { serve(fd); });
  }
}

void ScriptedTarget::serve(int fd) {
  std::string buffer;
  for (;;) {
    std::size_t length = read_request(fd, buffer);
    if (length == 0 || stopping_) break;
    std::string request = buffer.substr(0, length);
    buffer.erase(0, length);
    std::size_t index = requests_++;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(request);
    }
    Reply reply = script_(index, request);
    if (!reply.bytes.empty() && !write_all(fd, reply.bytes)) break;
    if (reply.close) break;
  }
  std::lock_guard lock(mutex_);
  open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
  ::close(fd);
}

}  // namespace albatross::testing
