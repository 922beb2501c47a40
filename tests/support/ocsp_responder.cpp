#include "support/ocsp_responder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace albatross::testing {
namespace {

int bind_loopback(std::uint16_t port, std::uint16_t& bound) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  bound = ntohs(address.sin_port);
  return fd;
}

// Reads one request (head and Content-Length body) within a few seconds.
bool read_request(int fd) {
  std::string in;
  char buffer[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    in.append(buffer, static_cast<std::size_t>(n));
    auto end = in.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    auto cl = in.find("Content-Length: ");
    std::size_t length =
        cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16, in.find("\r\n", cl) - cl - 16));
    if (in.size() >= end + 4 + length) return true;
  }
  return false;
}

}  // namespace

OcspResponder::OcspResponder() {
  listen_fd_ = bind_loopback(0, port_);
  if (listen_fd_ < 0) throw std::runtime_error("OcspResponder: cannot bind");
  // Not listening until start(): the port stays reserved by this closed-again socket pattern.
  ::close(listen_fd_);
  listen_fd_ = -1;
}

OcspResponder::~OcspResponder() {
  stop();
}

void OcspResponder::set_response(const std::string& der) {
  std::lock_guard lock(mutex_);
  response_ = der;
}

bool OcspResponder::start() {
  stop();
  std::uint16_t bound = 0;
  listen_fd_ = bind_loopback(port_, bound);
  if (listen_fd_ < 0) return false;
  stopping_ = false;
  thread_ = std::thread([this] { serve(); });
  return true;
}

void OcspResponder::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void OcspResponder::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (read_request(fd)) {
      ++requests_;
      std::string body;
      {
        std::lock_guard lock(mutex_);
        body = response_;
      }
      std::string out =
          "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      std::size_t done = 0;
      while (done < out.size()) {
        ssize_t n = ::write(fd, out.data() + done, out.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
    }
    ::close(fd);
  }
}

}  // namespace albatross::testing
