#pragma once

#include <string>
#include <string_view>

namespace albatross::testing {

// A file under $TMPDIR (or /tmp) with the given content, removed when this goes away.
class TempFile {
 public:
  explicit TempFile(std::string_view content, std::string_view suffix = ".toml");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  void write(std::string_view content) const;

 private:
  std::string path_;
};

}  // namespace albatross::testing
