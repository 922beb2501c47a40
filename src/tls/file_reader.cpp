#include "albatross/tls/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "albatross/common/str_cat.hpp"

namespace albatross::tls {
namespace {

constexpr std::size_t kMaxFileSize = 1024 * 1024;

}  // namespace

// The mode is taken from the opened descriptor, so it is the mode of the file actually read.
bool read_small_file(const std::string& path, bool private_key, std::string& out,
                     std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    error = str_cat("cannot read ", path, ": ", std::strerror(errno));
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  if (!ok) {
    error = str_cat("cannot read ", path, ": ", std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    error = str_cat("cannot read ", path, ": not a regular file");
    ok = false;
  } else if (static_cast<std::size_t>(st.st_size) > kMaxFileSize) {
    error = str_cat("cannot read ", path, ": larger than 1 MiB");
    ok = false;
  } else if (private_key && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = str_cat("private key file ", path, " is accessible by group or others (mode ", mode,
                    "); restrict it to its owner (chmod 600)");
    ok = false;
  }
  if (ok) {
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = str_cat("cannot read ", path, ": ", n < 0 ? std::strerror(errno) : "short read");
        ok = false;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace albatross::tls
