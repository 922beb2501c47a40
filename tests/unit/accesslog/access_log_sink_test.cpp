#include "albatross/accesslog/access_log_sink.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace albatross::accesslog {
namespace {

std::string temp_path() {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/albatross-sink-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  return pattern;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_CASE("AccessLogSink counts a batch it drops, and writes the ones that fit") {
  std::string path = temp_path();
  metrics::Counter dropped(1);
  std::string error;
  // At most 16 bytes may wait: a 17-byte batch can never be queued.
  auto sink = AccessLogSink::open(path, Format::alb, dropped, error, 16);
  REQUIRE_MESSAGE(sink, error);
  sink->submit(std::string(17, 'x'));
  CHECK(dropped.value() == 1);
  sink->submit("kept line\n");
  sink->flush();
  CHECK(dropped.value() == 1);
  CHECK(read_all(path) == "kept line\n");
  sink.reset();
  ::unlink(path.c_str());
}

TEST_CASE("AccessLogSink::open names the path it cannot open") {
  metrics::Counter dropped(1);
  std::string error;
  auto sink =
      AccessLogSink::open("/nonexistent/albatross/access.log", Format::json, dropped, error);
  CHECK(sink == nullptr);
  CHECK(error ==
        "cannot open access log /nonexistent/albatross/access.log: No such file or "
        "directory");
}

}  // namespace
}  // namespace albatross::accesslog
