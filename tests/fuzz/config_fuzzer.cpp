// Configuration text as an operator (or a broken deployment) may write it: config::parse and,
// when it reports nothing, config::validate. Neither may crash or throw; every error reported
// names its file and key path.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace albatross::config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ConfigErrors errors;
  Config config = parse(text, "fuzz.toml", errors);
  if (errors.empty()) validate(config, errors);
  for (const ConfigError& e : errors) {
    if (e.to_string().find("fuzz.toml") == std::string::npos) {
      std::fprintf(stderr, "config_fuzzer: an error without its file: %s\n", e.to_string().c_str());
      std::abort();
    }
  }
  return 0;
}
