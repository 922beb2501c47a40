#pragma once

#include <string>

namespace albatross::tls {

// Reads a whole file of at most 1 MiB (PEM or DER: certificates, keys, CRLs, OCSP responses)
// into `out`. With `private_key`, refuses a file group or others may access. False with `error`
// (one line naming the file) otherwise. Blocking: control thread.
bool read_small_file(const std::string& path, bool private_key, std::string& out,
                     std::string& error);

}  // namespace albatross::tls
