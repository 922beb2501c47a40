#include "support/temp_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace albatross::testing {

TempFile::TempFile(std::string_view content, std::string_view suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/albatross-test-XXXXXX";
  pattern.append(suffix);
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps: " + std::string(std::strerror(errno)));
  ::close(fd);
  path_ = name.data();
  write(content);
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
}

void TempFile::write(std::string_view content) const {
  std::ofstream out(path_, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path_);
}

}  // namespace albatross::testing
