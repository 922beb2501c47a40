// albatross-demo-target: serves the demo application (see demo_target.hpp) on one or more
// addresses, each under its own name. Used by the README demo and the benchmarks.
//   albatross-demo-target NAME=HOST:PORT [NAME=HOST:PORT ...] [--threads N]
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "albatross/common/host_port.hpp"
#include "albatross/demo/demo_target.hpp"

int main(int argc, char** argv) {
  namespace net = boost::asio;
  std::signal(SIGPIPE, SIG_IGN);
  int threads = 1;
  std::vector<std::pair<std::string, albatross::HostPort>> listens;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
      continue;
    }
    auto eq = arg.find('=');
    std::string error;
    auto address = eq == std::string::npos
                       ? std::nullopt
                       : albatross::parse_host_port(arg.substr(eq + 1), &error, true);
    if (!address) {
      std::cerr
          << "usage: albatross-demo-target NAME=HOST:PORT [NAME=HOST:PORT ...] [--threads N]\n";
      return 2;
    }
    listens.emplace_back(arg.substr(0, eq), *address);
  }
  if (listens.empty()) {
    std::cerr << "usage: albatross-demo-target NAME=HOST:PORT [NAME=HOST:PORT ...] [--threads N]\n";
    return 2;
  }
  net::io_context io(threads);
  std::vector<std::unique_ptr<albatross::demo::DemoTarget>> targets;
  try {
    for (auto& [name, address] : listens) {
      net::ip::tcp::endpoint endpoint(net::ip::make_address(address.host), address.port);
      targets.push_back(std::make_unique<albatross::demo::DemoTarget>(io, endpoint, name));
      std::cerr << "demo target " << name << " listening on " << address.host << ':'
                << targets.back()->port() << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "albatross-demo-target: " << e.what() << '\n';
    return 1;
  }
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i)
    pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool)
    t.join();
  return 0;
}
