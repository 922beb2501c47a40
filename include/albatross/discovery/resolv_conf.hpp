#pragma once

#include <boost/asio/ip/udp.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace albatross::discovery {

// The name servers of a resolv.conf(5): what albatross asks when global.resolvers is unset.
// Pure parsing plus one file read. Thread: any.
struct ResolvConf {
  static constexpr std::string_view kPath = "/etc/resolv.conf";

  // Every "nameserver ADDRESS" line, port 53, in file order (IPv6 zone ids dropped); as glibc,
  // 127.0.0.1:53 when there is none.
  static std::vector<boost::asio::ip::udp::endpoint> nameservers(std::string_view text);
  // nameservers() of the file at `path`; an unreadable file reads as empty.
  static std::vector<boost::asio::ip::udp::endpoint> load(const std::string& path);
};

}  // namespace albatross::discovery
