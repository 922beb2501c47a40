// albatross: argv -> (check | run). Everything else lives in the core library.
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "albatross/common/log.hpp"
#include "albatross/common/version.hpp"
#include "albatross/config/config_error.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/metrics/registry.hpp"
#include "albatross/server/prepared_config.hpp"
#include "albatross/server/server.hpp"

namespace {

constexpr const char* kUsage =
    "usage: albatross --config PATH [--check]\n"
    "\n"
    "  -c, --config PATH   configuration file (TOML)\n"
    "  -t, --check         validate the configuration, print every error, and exit\n"
    "                      (0: \"configuration OK\", 1: errors as FILE:LINE:COL: key.path: "
    "message)\n"
    "  -v, --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT drain and stop.\n";

// Runs the preparation start-up and reload run (every file the configuration names is loaded,
// the access log opened), without binding listeners or starting anything.
int check(const std::string& path) {
  using namespace albatross;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  upstream::StickyKeyRing fallback_keys = upstream::StickyKeyRing::generate_random();
  server::PrepareContext context{
      states,
      fallback_keys,
      nullptr,
      nullptr,
      [&](const config::Config&) -> metrics::Catalog& { return catalog; },
      {}};
  config::ConfigErrors errors;
  server::PreparedConfig prepared = server::prepare_config(path, context, errors);
  for (const auto& e : errors)
    std::cout << e.to_string() << '\n';
  // Start-up serves the configuration's targets without a refused state file; a check says so.
  if (!prepared.state_file_error.empty()) {
    std::cout << prepared.state_file_error << '\n';
    if (errors.empty()) {
      std::cout << path << ": the state file was refused\n";
      return 1;
    }
  }
  if (!errors.empty()) {
    std::cout << path << ": " << errors.size() << " error(s)\n";
    return 1;
  }
  std::cout << "configuration OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "-v" || arg == "--version") {
      std::cout << "albatross " << albatross::kVersion << '\n';
      return 0;
    }
    if (arg == "-t" || arg == "--check") {
      check_only = true;
    } else if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = arg.substr(9);
    } else {
      std::cerr << "albatross: unknown argument \"" << arg << "\"\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "albatross: --config PATH is required\n" << kUsage;
    return 2;
  }
  if (check_only) return check(config_path);
  // Writes to a closed client connection must fail with EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  albatross::server::Server server(config_path);
  return server.run();
}
