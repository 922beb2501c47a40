#include "support/dnsmasq.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "albatross/discovery/dns_client.hpp"
#include "support/spawn.hpp"

namespace albatross::testing {
namespace {

// Binds `type` on ip:port (0: any); returns the port, 0 on failure.
std::uint16_t try_bind(const std::string& ip, std::uint16_t port, int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  std::uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    bound = ntohs(a.sin_port);
  }
  ::close(fd);
  return bound;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Dnsmasq::Dnsmasq(std::string_view hosts, std::string_view probe_name)
    : hosts_(hosts, ".hosts"), log_("", ".log") {
  std::mt19937 random(std::random_device{}());
  ip_ = "127.0.0." + std::to_string(100 + random() % 100);
  // A port free for both UDP and TCP on that address.
  for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
    std::uint16_t candidate = try_bind(ip_, 0, SOCK_DGRAM);
    if (candidate != 0 && try_bind(ip_, candidate, SOCK_STREAM) == candidate) port_ = candidate;
  }
  if (port_ == 0) throw std::runtime_error("dnsmasq: no free port on " + ip_);
  const char* program = "/usr/sbin/dnsmasq";
  if (::access(program, X_OK) != 0) {
    throw std::runtime_error(
        "dnsmasq is not installed (/usr/sbin/dnsmasq): apt-get install dnsmasq-base");
  }
  passwd* user = ::getpwuid(::getuid());
  std::vector<std::string> argv{
      program, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
      // Authoritative for the test's domain: a type the file lacks
      // (AAAA) is NODATA, not REFUSED for want of an upstream.
      "--local=/fleet.test/", "--addn-hosts=" + hosts_.path(), "--listen-address=" + ip_,
      "--bind-interfaces", "--port=" + std::to_string(port_), "--pid-file=", "--local-ttl=0",
      "--cache-size=0", "--log-queries", "--user=" + std::string(user ? user->pw_name : "root")};
  int log_fd = ::open(log_.path().c_str(), O_WRONLY | O_CLOEXEC);
  pid_ = spawn(argv, log_fd, log_fd);
  ::close(log_fd);
  pidfd_ = open_pidfd(pid_);
  // Ready once it answers the name the file holds.
  bool ready = wait_until(
      [&] {
        if (wait_pid(pid_, pidfd_, 0) >= 0) {
          pid_ = -1;
          throw std::runtime_error("dnsmasq exited at start: " + read_file(log_.path()));
        }
        return !lookup(probe_name).empty();
      },
      after(std::chrono::seconds(10)), std::chrono::milliseconds(20));
  if (!ready) {
    stop();
    throw std::runtime_error("dnsmasq did not answer within 10 s: " + read_file(log_.path()));
  }
}

Dnsmasq::~Dnsmasq() {
  try {
    stop();
  } catch (...) {
  }
}

std::string Dnsmasq::address() const {
  return ip_ + ":" + std::to_string(port_);
}

std::vector<std::string> Dnsmasq::lookup(std::string_view name) const {
  discovery::DnsClient client(
      {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address(ip_), port_)},
      std::chrono::milliseconds(500));
  discovery::DnsLookup result = client.resolve_blocking(std::string(name));
  std::vector<std::string> out;
  for (const auto& a : result.addresses)
    out.push_back(a.to_string());
  std::sort(out.begin(), out.end());
  return out;
}

void Dnsmasq::set_hosts(std::string_view hosts, std::string_view name,
                        const std::vector<std::string>& addresses, TimePoint deadline) {
  hosts_.write(hosts);
  if (::kill(pid_, SIGHUP) != 0) throw std::runtime_error("dnsmasq: SIGHUP failed");
  std::vector<std::string> wanted = addresses;
  std::sort(wanted.begin(), wanted.end());
  if (!wait_until([&] { return lookup(name) == wanted; }, deadline,
                  std::chrono::milliseconds(20))) {
    throw std::runtime_error("dnsmasq did not take the new hosts file: " + read_file(log_.path()));
  }
}

void Dnsmasq::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (wait_pid(pid_, pidfd_, 10000) < 0) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, pidfd_, -1);
  }
  ::close(pidfd_);
  pid_ = -1;
  pidfd_ = -1;
}

}  // namespace albatross::testing
