#include "albatross/discovery/registered_targets.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace albatross::discovery {
namespace {

HostPort hp(const char* host, std::uint16_t port) {
  return HostPort{host, port};
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/albatross-state-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST_CASE("RegisteredTargets: add, remove, contains, each target once per group") {
  RegisteredTargets r;
  CHECK(r.add("web", hp("10.0.0.1", 80)));
  CHECK_FALSE(r.add("web", hp("10.0.0.1", 80)));
  CHECK(r.add("api", hp("10.0.0.1", 80)));
  CHECK(r.contains("web", hp("10.0.0.1", 80)));
  CHECK_FALSE(r.contains("web", hp("10.0.0.1", 81)));
  CHECK(r.size() == 2);
  CHECK(r.remove("web", hp("10.0.0.1", 80)));
  CHECK_FALSE(r.remove("web", hp("10.0.0.1", 80)));
  CHECK(r.groups().size() == 1);
}

TEST_CASE("RegisteredTargets: saved text loads back the same set") {
  TempDir dir;
  std::string path = (dir.path / "state.toml").string();
  std::string error;
  auto missing = RegisteredTargets::load(path, error);
  REQUIRE(missing);
  CHECK(missing->size() == 0);

  RegisteredTargets r;
  r.add("web", hp("10.0.0.1", 8080));
  r.add("web", hp("fd00::7", 8080));
  r.add("api", hp("192.0.2.1", 9000));
  REQUIRE(r.save(path, error));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto loaded = RegisteredTargets::load(path, error);
  REQUIRE(loaded);
  CHECK(loaded->groups() == r.groups());
  CHECK(loaded->to_text().find("target = \"[fd00::7]:8080\"") != std::string::npos);
}

TEST_CASE("RegisteredTargets: a corrupt or foreign file is refused with its name") {
  std::string error;
  auto refuse = [&](std::string_view text) {
    error.clear();
    bool refused = !RegisteredTargets::parse(text, "/var/lib/albatross/state.toml", error);
    CHECK(error.starts_with("/var/lib/albatross/state.toml: refusing the state file"));
    return refused;
  };
  CHECK(refuse("version = 1\n[[target]]\ntarget_group = \"web\"\ntarget = \"10.0.0.1:80"));
  CHECK(refuse("{{{ garbage"));
  CHECK(refuse("[[target]]\ntarget_group = \"web\"\ntarget = \"10.0.0.1:80\"\n"));  // no version
  CHECK(refuse("version = 2\n"));
  CHECK(refuse("version = 1\nextra = true\n"));
  CHECK(refuse("version = 1\n[[target]]\ntarget_group = \"web\"\ntarget = \"app.internal:80\"\n"));
  CHECK(error.find("IP:port") != std::string::npos);
  CHECK(refuse("version = 1\n[[target]]\ntarget_group = \"w b\"\ntarget = \"10.0.0.1:80\"\n"));
  CHECK(refuse("version = 1\n[[target]]\ntarget_group = \"web\"\ntarget = \"10.0.0.1:0\"\n"));
  CHECK(refuse("version = 1\n[[target]]\ntarget_group = \"web\"\nport = 80\n"));
  CHECK(refuse("version = 1\ntarget = 3\n"));
}

TEST_CASE("RegisteredTargets::save leaves the old file when the directory is not writable") {
  std::string error;
  RegisteredTargets r;
  r.add("web", hp("10.0.0.1", 80));
  CHECK_FALSE(r.save("/nonexistent-dir/state.toml", error));
  CHECK(error.find("/nonexistent-dir/state.toml") != std::string::npos);
}

}  // namespace
}  // namespace albatross::discovery
