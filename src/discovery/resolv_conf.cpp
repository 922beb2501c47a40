#include "albatross/discovery/resolv_conf.hpp"

#include <fstream>
#include <sstream>

namespace albatross::discovery {

std::vector<boost::asio::ip::udp::endpoint> ResolvConf::nameservers(std::string_view text) {
  std::vector<boost::asio::ip::udp::endpoint> servers;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword;
    std::string value;
    if (!(words >> keyword >> value) || keyword != "nameserver") continue;
    if (auto percent = value.find('%'); percent != std::string::npos) value.resize(percent);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(value, ec);
    if (!ec) servers.emplace_back(address, 53);
  }
  if (servers.empty()) servers.emplace_back(boost::asio::ip::make_address("127.0.0.1"), 53);
  return servers;
}

std::vector<boost::asio::ip::udp::endpoint> ResolvConf::load(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  return nameservers(text.str());
}

}  // namespace albatross::discovery
